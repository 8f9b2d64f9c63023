"""Survey invitations and detractor follow-ups, triggered by the feedback service's events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rapport_kit.signed_links import SURVEY_ANSWER, verify_link
from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.feedback import (
    DetractorDetectedV1,
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
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    survey = SurveyRequested(
        survey_id="s1",
        contact_id="dora",
        kind=SurveyKind.NPS,
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
        await eventually(lambda: _count(sink.messages), expected=2)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 2
        )

    mail = next(m for m in sink.messages if m["X-Rapport-Template"] == "survey_invitation")
    invitation = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    links = re.findall(r"https://feedback\.example/answers\?token=[A-Za-z0-9_.%-]+", invitation)
    assert len(links) == 1
    token = parse_qs(urlsplit(links[0]).query)["token"][0]
    claims = verify_link(token, purpose=SURVEY_ANSWER, keys=settings.link_keys(), now=DAYTIME)
    assert (claims.subject, claims.expires_at) == ("s1", survey.expires_at)
    assert mail["Subject"] == "Ajánlana minket? Egyetlen kérdésünk van"
    assert "ajánlana minket egy barátjának" in invitation
    # One-click scores in the HTML part only open the page with the score chosen.
    scores = re.findall(
        r'href="https://feedback\.example/answers\?token=[^"&]+&amp;score=(\d+)"', html
    )
    assert scores == [str(score) for score in range(11)]
    stored = await mongo_db["deliveries"].find({}).to_list()
    assert len(stored) == 2 and token not in str(stored) and "token" not in str(stored)
    assert "2026. december 1." in invitation
    sent = {e.data.template: e.data for e in of_type(events, "NotificationSent")}
    assert not sent["survey_invitation"].transactional and sent["welcome"].transactional


async def test_a_detractor_gets_an_apology_and_the_account_owner_an_internal_alert(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    contact = registered("emil", consents=(consent(Channel.EMAIL),), account_owner="agent-7")
    detractor = DetractorDetectedV1(  # from the history: the comment in the event
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
