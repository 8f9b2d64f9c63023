"""A message triggered at 23:30 in Tokyo waits (durably, across a restart) for 08:00."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    consent,
    notifications,
    of_type,
    publish,
    registered,
    source_event,
)
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
LATE_EVENING_TOKYO = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 23:30 JST
WINDOW_OPENS = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 08:00 JST on the 25th


async def test_a_late_evening_message_in_tokyo_is_scheduled_then_sent_when_the_window_opens(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    trigger = source_event(
        registered(
            "yuki",
            consents=(consent(Channel.EMAIL),),
            name="山田 由紀",
            language="ja-JP",
            time_zone="Asia/Tokyo",
            country="JP",
        )
    )
    clock = SettableClock(LATE_EVENING_TOKYO)
    async with serving(create_app(settings_for(), clock=clock)):
        await publish(infra.kafka_bootstrap, namespace, trigger)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationScheduled"))
        )
        scheduled = of_type(events, "NotificationScheduled")[0].data
        assert (scheduled.deliver_at, scheduled.reason) == (WINDOW_OPENS, "quiet_hours")
        clock.now = datetime(2026, 11, 24, 22, 59, tzinfo=UTC)  # still quiet: 07:59 JST
        delivery = await mongo_db["deliveries"].find_one({"trigger_event_id": trigger.id})
        assert delivery["state"] == "scheduled"
    assert sink.messages == []

    clock.now = WINDOW_OPENS  # the service restarts, and morning comes in Tokyo
    async with serving(create_app(settings_for(), clock=clock)):
        await eventually(lambda: _count(sink.messages), expected=1)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationSent"))
        )

    assert sink.messages[0]["Subject"] == "Rapportへようこそ"
    assert sink.messages[0].get_body(("plain",)).get_content().startswith("山田 由紀 様")
    sent = [e.data for e in of_type(events, "NotificationSent")]
    assert len(sent) == 1 and sent[0].sent_at >= WINDOW_OPENS and sent[0].locale == "ja"


async def test_erasing_a_contact_drops_its_scheduled_message(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    trigger = source_event(
        registered(
            "kenji", consents=(consent(Channel.EMAIL),), time_zone="Asia/Tokyo", country="JP"
        )
    )
    erased = source_event(ContactErased(contact_id="kenji", erased_at=LATE_EVENING_TOKYO))
    clock = SettableClock(LATE_EVENING_TOKYO)
    async with serving(create_app(settings_for(), clock=clock)):
        await publish(infra.kafka_bootstrap, namespace, trigger)
        await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationScheduled"))
        )
        await publish(infra.kafka_bootstrap, namespace, erased)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationFailed"))
        )

    failed = of_type(events, "NotificationFailed")[0].data
    assert (failed.reason, failed.permanent) == ("contact_erased", True)
    delivery = await mongo_db["deliveries"].find_one({"trigger_event_id": trigger.id})
    assert (delivery["state"], delivery["facts"]) == ("failed", {})  # terminal: never sent
    assert sink.messages == []


async def _count(items: list[Any]) -> int:
    return len(items)
