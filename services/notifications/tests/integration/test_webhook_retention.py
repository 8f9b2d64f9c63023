"""Retention of event webhook deliveries and their events on the MongoDB-wire server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rapport_notifications.adapters.webhook_deliveries import (
    WEBHOOK_DELIVERIES,
    MongoWebhookDeliveries,
)
from rapport_notifications.adapters.webhook_events import WEBHOOK_EVENTS, MongoWebhookEvents
from rapport_notifications.domain.webhook_delivery import NewDelivery
from rapport_notifications.service_layer.webhook_retention import WebhookRetention
from services.notifications.tests.integration.event_webhook_stories import story
from services.notifications.tests.integration.helpers import T0

pytestmark = pytest.mark.integration
KEEP = timedelta(days=30)


async def test_only_finished_deliveries_past_the_horizon_and_unneeded_events_go(
    mongo_db: Any,
) -> None:
    events, deliveries = (
        MongoWebhookEvents(mongo_db),
        MongoWebhookDeliveries(mongo_db[WEBHOOK_DELIVERIES]),
    )
    await events.ensure_indexes()
    await deliveries.ensure_indexes()
    old_done, old_waiting, recent = story("kept")
    await events.keep([old_done, old_waiting], T0)
    await events.keep([recent], T0 + KEEP)
    await deliveries.add([_delivery(old_done, "1"), _delivery(old_waiting, "2")], T0)
    await deliveries.add([_delivery(recent, "3")], T0 + KEEP)
    await mongo_db[WEBHOOK_DELIVERIES].update_many(
        {"event_id": {"$in": [old_done.id, recent.id]}}, {"$set": {"state": "delivered"}}
    )
    now = T0 + KEEP + timedelta(minutes=1)
    await WebhookRetention(events, deliveries, KEEP, lambda: now).prune()

    left = {d["event_id"]: d["state"] async for d in mongo_db[WEBHOOK_DELIVERIES].find({})}
    assert left == {old_waiting.id: "pending", recent.id: "delivered"}
    stored = {d["_id"] async for d in mongo_db[WEBHOOK_EVENTS].find({})}
    assert stored == {old_waiting.id, recent.id}


def _delivery(event: Any, order: str) -> NewDelivery:
    return NewDelivery("whs_1", event.id, event.type, event.time, event.subject, order)
