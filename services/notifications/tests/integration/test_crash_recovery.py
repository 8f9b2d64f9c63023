"""Leases after a crash: a claim never sent is retried; an unknown send is not repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
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
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def crashed_delivery(trigger_id: str, state: str) -> dict[str, Any]:
    """What a worker that died mid-delivery leaves behind: a lease that has run out."""
    return {
        "_id": f"{trigger_id}|welcome|contact:fanni",
        "notification_id": f"n-{state}",
        "state": state,
        "trigger_event_id": trigger_id,
        "template": "welcome",
        "contact_id": "fanni",
        "agent_id": None,
        "facts": {},
        "received_at": DAYTIME,
        "due_at": DAYTIME,
        "attempts": 0,
        "claim": "dead-worker",
        "lease_until": DAYTIME - timedelta(seconds=1),
    }


async def test_expired_leases_retry_unsent_claims_and_never_resend_unknown_outcomes(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    await mongo_db["deliveries"].insert_many(
        [crashed_delivery("t-claimed", "claimed"), crashed_delivery("t-sending", "sending")]
    )
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        await publish(
            infra.kafka_bootstrap,
            namespace,
            source_event(registered("fanni", consents=(consent(Channel.EMAIL),))),
        )
        events = await notifications(
            infra.kafka_bootstrap,
            namespace,
            lambda es: (
                len(of_type(es, "NotificationSent")) >= 2
                and bool(of_type(es, "NotificationFailed"))
            ),
        )
        await eventually(lambda: _count(sink.messages), expected=2)

    sent = {e.data.trigger_event_id for e in of_type(events, "NotificationSent")}
    failed = [e.data for e in of_type(events, "NotificationFailed")]
    assert "t-claimed" in sent and "t-sending" not in sent
    assert [(f.trigger_event_id, f.reason, f.permanent) for f in failed] == [
        ("t-sending", "outcome_unknown", True)
    ]


async def _count(items: list[Any]) -> int:
    return len(items)
