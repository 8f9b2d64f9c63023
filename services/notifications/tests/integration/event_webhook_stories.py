"""Events about contacts for the webhook tests, and the calls a subscriber makes to the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from rapport_schemas import CloudEvent
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    ContactUpdatedV1,
    Direction,
    InteractionKind,
    InteractionLoggedV1,
)
from services.notifications.tests.integration.helpers import T0, registered, source_event
from services.notifications.tests.integration.webhook_receiver import Receiver

TYPES = [
    "rapport.contacts.contact_registered.v1",
    "rapport.contacts.contact_updated.v1",
    "rapport.contacts.interaction_logged.v1",
]
# Quick retries, so a test sees the whole schedule: 0.3 s, 0.6 s, 1.2 s; four tries in all.
FAST_RETRIES = {
    "event_webhooks_max_attempts": 4,
    "event_webhooks_first_retry_seconds": 0.3,
    "event_webhooks_retry_multiplier": 2.0,
    "event_webhooks_longest_retry_seconds": 2.0,
    "event_webhooks_interval_seconds": 0.1,
}


def story(contact: str, *, country: str = "HU", start: datetime = T0) -> list[CloudEvent[Any]]:
    """Registered, then the e-mail changed, then an inbound complaint with notes: three events
    whose data carry a name, an e-mail, a phone and free text."""
    profile = registered(contact, consents=(), country=country).profile
    changed = profile.model_copy(update={"email": f"new-{contact}@example.hu"})
    return [
        source_event(registered(contact, consents=(), country=country), time=start),
        source_event(
            ContactUpdatedV1(
                contact_id=contact,
                profile=changed,
                changed_fields=("email",),
                updated_at=start + timedelta(hours=1),
            ),
            time=start + timedelta(hours=1),
        ),
        source_event(
            InteractionLoggedV1(
                interaction_id=f"i-{contact}",
                contact_id=contact,
                channel=Channel.EMAIL,
                direction=Direction.INBOUND,
                kind=InteractionKind.COMPLAINT,
                occurred_at=start + timedelta(hours=2),
                summary="Anna says the parcel to Budapest, Fő utca 1 never arrived",
            ),
            time=start + timedelta(hours=2),
        ),
    ]


async def subscribe(
    api: httpx.AsyncClient, receiver: Receiver, base_url: str, endpoint: str, **fields: Any
) -> dict[str, Any]:
    """Create a subscription for ``endpoint`` of the receiver; the receiver learns its secret."""
    body = {"url": f"{base_url}/hooks/{endpoint}", "event_types": TYPES, **fields}
    answer = await api.post("/webhooks/subscriptions", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    receiver.secrets[endpoint] = created["secret"]
    return created


async def deliveries(api: httpx.AsyncClient, subscription_id: str) -> list[dict[str, Any]]:
    answer = await api.get(f"/webhooks/subscriptions/{subscription_id}/deliveries")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def finished(log: list[dict[str, Any]]) -> bool:
    return bool(log) and all(d["state"] in {"delivered", "failed"} for d in log)


async def webhook_figures(api: httpx.AsyncClient) -> dict[str, float]:
    """delivered / retried / failed summed over labels, read from /metrics."""
    text = (await api.get("/metrics")).text
    figures = {}
    for name in ("delivered", "retried", "failed"):
        pattern = rf"^rapport_notifications_webhook_{name}_total\{{[^}}]*\}} (\S+)$"
        figures[name] = sum(float(v) for v in re.findall(pattern, text, re.MULTILINE))
    return figures
