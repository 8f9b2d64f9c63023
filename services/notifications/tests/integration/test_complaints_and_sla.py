"""A complaint is acknowledged with its reply deadline in the customer's own calendar; a missed
SLA warns the owning agent (internal, outside customer quiet hours)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind, InteractionLogged, SlaBreached
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    consent,
    notifications,
    of_type,
    publish,
    registered,
    source_event,
)
from tests.support.services import serving

pytestmark = pytest.mark.integration
RECEIVED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 12:30 in Istanbul
LATE_NIGHT_ISTANBUL = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # 00:00 in Istanbul


async def test_complaint_acknowledged_in_turkish_and_sla_breach_sent_to_the_team_at_night(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    contact = registered(
        "ayse",
        consents=(consent(Channel.EMAIL),),
        name="Ayşe Yılmaz",
        language="tr-TR",
        time_zone="Europe/Istanbul",
        country="TR",
    )
    complaint = InteractionLogged(
        interaction_id="i-1",
        contact_id="ayse",
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        kind=InteractionKind.COMPLAINT,
        occurred_at=RECEIVED,
        case_id="CASE-42",
        awaits_response=True,
        response_due_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
    )
    breach = SlaBreached(
        interaction_id="i-1",
        contact_id="ayse",
        channel=Channel.EMAIL,
        received_at=RECEIVED,
        due_at=complaint.response_due_at,
    )
    clock = SettableClock(RECEIVED)
    settings = settings_for(team_email="support@rapport.example")
    async with serving(create_app(settings, clock=clock)):
        for data in (contact, complaint):
            await publish(infra.kafka_bootstrap, namespace, source_event(data))
        await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 2
        )
        clock.now = LATE_NIGHT_ISTANBUL
        await publish(infra.kafka_bootstrap, namespace, source_event(breach))
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 3
        )

    acknowledgement = next(m for m in sink.messages if "CASE-42" in m["Subject"])
    text = acknowledgement.get_body(("plain",)).get_content()
    assert acknowledgement["Subject"] == "Şikâyetiniz bize ulaştı (başvuru no: CASE-42)"
    assert "en geç 1 iş günü içinde" in text
    assert "25 Kasım 2026 Çarşamba 18:00 Türkiye Saati" in text  # 15:00 UTC, Istanbul time
    warning = next(m for m in sink.messages if m["To"] == "support@rapport.example")
    assert warning["Subject"] == "SLA breached: reply overdue for contact ayse"
    assert "Overdue by: 6 hours" in warning.get_body(("plain",)).get_content()
    sent = {e.data.template: e.data for e in of_type(events, "NotificationSent")}
    assert sent["sla_breach_warning"].internal and sent["sla_breach_warning"].locale == "en"
