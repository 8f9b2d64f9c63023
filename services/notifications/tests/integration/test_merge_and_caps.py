"""Merged contacts are reached through their survivor; frequency caps hold repeat messages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactsMerged, PurchaseRecorded
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    consent,
    notifications,
    publish,
    registered,
    source_event,
)
from tests.support.services import serving

pytestmark = pytest.mark.integration
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Berlin


def purchase(purchase_id: str) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=purchase_id,
        contact_id="absorbed",
        amount=Decimal("49.9"),
        currency="EUR",
        occurred_at=DAYTIME,
    )


def both_thank_yous_settled(events: list[Any]) -> bool:
    outcomes = [e for e in events if e.data.template == "purchase_thank_you"]
    return len({e.data.trigger_event_id for e in outcomes}) == 2


async def test_a_merged_contacts_thank_you_reaches_the_survivor_once_per_day(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    survivor = registered(
        "survivor",
        consents=(consent(Channel.EMAIL),),
        language="de-DE",
        time_zone="Europe/Berlin",
        country="DE",
        email="max@example.de",
    )
    absorbed = registered("absorbed", consents=(), email=None)
    merged = ContactsMerged(contact_id="absorbed", survivor_id="survivor", merged_at=DAYTIME)
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        for data in (survivor, absorbed, merged, purchase("p1"), purchase("p2")):
            await publish(infra.kafka_bootstrap, namespace, source_event(data))
        events = await notifications(infra.kafka_bootstrap, namespace, both_thank_yous_settled)

    thanks = [e.data for e in events if e.data.template == "purchase_thank_you"]
    sent = [d for d in thanks if type(d).__name__ == "NotificationSent"]
    capped = [d for d in thanks if type(d).__name__ == "NotificationFailed"]
    assert len(sent) == 1 and sent[0].contact_id == "survivor" and sent[0].locale == "de"
    assert [(d.reason, d.permanent) for d in capped] == [("frequency_cap", True)]
    mails = [m for m in sink.messages if m["Subject"].startswith("Vielen Dank für Ihre Bestellung")]
    assert [m["To"] for m in mails] == ["max@example.de"]
    assert "49,90\u00a0€" in mails[0].get_body(("plain",)).get_content()
