"""Survey invitations and detractor follow-ups, triggered by the feedback service's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorReason,
    SurveyKind,
    SurveyRequested,
)
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


async def test_a_survey_invitation_carries_the_answer_link_and_is_not_transactional(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    survey = SurveyRequested(
        survey_id="s1",
        contact_id="dora",
        kind=SurveyKind.NPS,
        token="tok_0123456789abcdef",
        expires_at=DAYTIME + timedelta(days=7),
        language="hu-HU",
        channel=Channel.EMAIL,
        requested_at=DAYTIME,
    )
    settings = settings_for(answer_base_url="https://feedback.example/answers")
    async with serving(create_app(settings, clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, source_event(survey))  # before the contact
        await publish(
            infra.kafka_bootstrap,
            namespace,
            source_event(registered("dora", consents=(consent(Channel.EMAIL),))),
        )
        assert await eventually(lambda: _count(sink.messages), expected=2)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 2
        )

    texts = [mail.get_body(("plain",)).get_content() for mail in sink.messages]
    invitation = next(text for text in texts if "kérdőív" in text)
    assert "https://feedback.example/answers?token=tok_0123456789abcdef" in invitation
    assert "2026. december 1." in invitation
    sent = {e.data.template: e.data for e in of_type(events, "NotificationSent")}
    assert not sent["survey_invitation"].transactional and sent["welcome"].transactional


async def test_a_detractor_gets_an_apology_and_the_account_owner_an_internal_alert(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    contact = registered("emil", consents=(consent(Channel.EMAIL),), account_owner="agent-7")
    detractor = DetractorDetected(
        contact_id="emil",
        reason=DetractorReason.NPS_DETRACTOR,
        detected_at=DAYTIME,
        score=2,
        comment="Nagyon lassú volt.",
    )
    settings = settings_for(agent_emails={"agent-7": "agent7@rapport.example"})
    async with serving(create_app(settings, clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, source_event(contact))
        await publish(infra.kafka_bootstrap, namespace, source_event(detractor))
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 3
        )

    to_agent = [mail for mail in sink.messages if mail["To"] == "agent7@rapport.example"]
    alert = to_agent[0].get_body(("plain",)).get_content()
    assert "Contact: emil" in alert and "Score: 2" in alert
    assert "Nagyon lassú" not in alert  # the comment is personal data: not in mailboxes
    to_customer = {mail["Subject"] for mail in sink.messages if mail["To"] == "emil@example.hu"}
    assert "Elnézést kérünk, és szeretnénk jóvátenni" in to_customer
    sent = {e.data.template: e.data for e in of_type(events, "NotificationSent")}
    assert sent["detractor_alert"].internal and sent["detractor_alert"].consent is None
    assert sent["detractor_follow_up"].transactional and not sent["detractor_follow_up"].internal


async def _count(items: list[Any]) -> int:
    return len(items)
