"""Campaigns and the shared contact-pressure budget against Kafka, FerretDB and real SMTP
servers: a survey invitation and a campaign message draw on one budget per contact, and two
instances of the service in one consumer group never send a contact past it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    MailSink,
    consent,
    notifications,
    of_type,
    publish,
    registered,
    source_event,
    start_smtp,
)
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Budapest
EARLY = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 06:00 in Budapest: quiet hours
OPENING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Budapest
NON_TRANSACTIONAL = ("campaign", "survey_invitation")
LOYALTY = {
    "hu": {"subject": "Köszönjük a hűségét, {name}", "body": "{salutation}\n\nA {brand} csapata"},
    "en": {"subject": "Thank you for your loyalty, {name}", "body": "{salutation}\n\nThe team"},
}


def invitation(contact: str, survey: str) -> SurveyRequested:
    return SurveyRequested(
        survey_id=survey,
        contact_id=contact,
        kind=SurveyKind.NPS,
        expires_at=DAYTIME + timedelta(days=7),
        language="hu-HU",
        channel=Channel.EMAIL,
        requested_at=DAYTIME,
    )


def received(*sinks: MailSink, template: str) -> Counter[str]:
    """Per recipient address, the messages of ``template`` the SMTP servers accepted."""
    return Counter(
        str(m["To"]) for sink in sinks for m in sink.messages if m["X-Rapport-Template"] == template
    )


async def register(bootstrap: str, namespace: str, contacts: list[str]) -> None:
    for contact in contacts:
        data = registered(contact, consents=(consent(Channel.EMAIL),))
        await publish(bootstrap, namespace, source_event(data))


async def create_campaign(client: httpx.AsyncClient, name: str, **fields: Any) -> str:
    body = {"name": name, "audience": {"countries": ["HU"]}, "messages": LOYALTY, **fields}
    response = await client.post("/campaigns", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["campaign_id"])


async def progress(client: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    response = await client.get(f"/campaigns/{campaign_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["progress"])


def settled(report: dict[str, Any]) -> bool:
    """Every delivery sent or skipped: none waiting or deferred."""
    decided = report["sent"] + sum(report["skipped"].values())
    return report["targeted"] > 0 and decided == report["targeted"]


async def test_a_survey_invitation_inside_the_window_makes_the_campaign_skip_that_contact(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    settings = settings_for(contact_pressure_budget=1)
    bootstrap = infra.kafka_bootstrap
    async with serving(create_app(settings, clock=SettableClock(DAYTIME))) as client:
        await register(bootstrap, namespace, ["anna", "bela"])
        await publish(bootstrap, namespace, source_event(invitation("anna", "s-anna")))
        await eventually(lambda: _total(sink, "survey_invitation"), expected=1)
        await eventually(lambda: _total(sink, "welcome"), expected=2)
        campaign_id = await create_campaign(client, "Loyalty")
        report = await eventually(lambda: progress(client, campaign_id), until=settled)
        events = await notifications(
            bootstrap, namespace, lambda es: len(of_type(es, "NotificationFailed")) >= 1
        )

    assert report == {
        "targeted": 2,
        "sent": 1,
        "waiting": 0,
        "deferred": {},
        "skipped": {"pressure_budget": 1},
    }
    [failed] = [e.data for e in of_type(events, "NotificationFailed")]
    assert (failed.contact_id, failed.template, failed.reason) == (
        "anna",
        "campaign",
        "pressure_budget",
    )
    assert received(sink, template="campaign") == {"bela@example.hu": 1}
    assert received(sink, template="survey_invitation") == {"anna@example.hu": 1}
    [mail] = [m for m in sink.messages if m["X-Rapport-Template"] == "campaign"]
    assert mail["Subject"] == "Köszönjük a hűségét, Kovács Anna"
    assert mail["Content-Language"] == "hu"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # marketing: RFC 8058
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Tisztelt Kovács Anna!\n\nA Rapport csapata")


async def test_a_campaign_message_inside_the_window_holds_back_the_survey_invitation(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    settings = settings_for(contact_pressure_budget=1)
    bootstrap = infra.kafka_bootstrap
    async with serving(create_app(settings, clock=SettableClock(DAYTIME))) as client:
        await register(bootstrap, namespace, ["csilla"])
        await eventually(lambda: _total(sink, "welcome"), expected=1)
        campaign_id = await create_campaign(client, "Loyalty")
        report = await eventually(lambda: progress(client, campaign_id), until=settled)
        await publish(bootstrap, namespace, source_event(invitation("csilla", "s-csilla")))
        events = await notifications(
            bootstrap, namespace, lambda es: len(of_type(es, "NotificationFailed")) >= 1
        )

    assert (report["sent"], report["skipped"]) == (1, {})
    [failed] = [e.data for e in of_type(events, "NotificationFailed")]
    assert (failed.template, failed.reason, failed.permanent) == (
        "survey_invitation",
        "pressure_budget",
        True,
    )
    sent = [e.data for e in of_type(events, "NotificationSent") if e.data.template == "campaign"]
    assert [(s.contact_id, s.transactional) for s in sent] == [("csilla", False)]
    assert received(sink, template="campaign") == {"csilla@example.hu": 1}
    assert received(sink, template="survey_invitation") == {}


async def test_two_instances_never_send_a_contact_past_the_budget(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    """Each contact is due two survey invitations and a campaign message at the same moment
    (held by quiet hours until 08:00 Budapest), the budget is two: both instances dispatch at
    once, each to its own SMTP server, neither knows what the other sent, and every contact
    still receives exactly two."""
    _, first_sink = smtp
    second_server, second_sink = start_smtp()
    contacts = [f"c{n:02d}" for n in range(24)]
    budget = 2
    bootstrap = infra.kafka_bootstrap
    clock = SettableClock(EARLY)  # one clock for both instances, as in one cluster
    first = create_app(settings_for(contact_pressure_budget=budget), clock=clock)
    second = create_app(
        settings_for(contact_pressure_budget=budget, smtp_port=second_server.port), clock=clock
    )
    try:
        async with serving(first) as client, serving(second):
            await register(bootstrap, namespace, contacts)
            # A welcome is held only once its card is in the directory: the audience is known.
            await notifications(bootstrap, namespace, lambda es: _held(es) == len(contacts))
            for contact in contacts:
                for n in range(2):
                    data = invitation(contact, f"s-{contact}-{n}")
                    await publish(bootstrap, namespace, source_event(data))
            campaign_id = await create_campaign(client, "Loyalty")
            held = await eventually(
                lambda: progress(client, campaign_id),
                until=lambda r: r["deferred"].get("quiet_hours") == len(contacts),
            )
            await notifications(bootstrap, namespace, lambda es: _held(es) == 4 * len(contacts))
            clock.now = OPENING  # every delivery is due now, on both instances
            report = await eventually(
                lambda: progress(client, campaign_id), until=settled, timeout=120
            )
            events = await notifications(
                bootstrap,
                namespace,
                lambda es: _decided_invitations(es) == 2 * len(contacts),
            )
    finally:
        second_server.stop()

    per_contact = Counter[str]()
    for template in NON_TRANSACTIONAL:
        per_contact.update(received(first_sink, second_sink, template=template))
    by_instance = [
        sum(received(sink, template=t).total() for t in NON_TRANSACTIONAL)
        for sink in (first_sink, second_sink)
    ]
    print("\ncampaign progress, quiet hours:", json.dumps(held, sort_keys=True))
    print("campaign progress, settled:    ", json.dumps(report, sort_keys=True))
    print(f"budget per contact: {budget}; non-transactional mails received per contact:")
    print(" ".join(f"{c.split('@')[0]}={n}" for c, n in sorted(per_contact.items())))
    print(f"accepted by instance 1's SMTP: {by_instance[0]}, by instance 2's: {by_instance[1]}")
    assert set(per_contact.values()) == {budget} and len(per_contact) == len(contacts)
    assert all(n > 0 for n in by_instance)  # both instances sent
    skipped = report["skipped"].get("pressure_budget", 0)
    assert report["targeted"] == len(contacts) == report["sent"] + skipped
    failed = [e.data for e in of_type(events, "NotificationFailed")]
    assert {f.reason for f in failed} == {"pressure_budget"}
    invitations_failed = sum(1 for f in failed if f.template == "survey_invitation")
    assert invitations_failed + skipped == len(contacts)  # 3 due per contact, 2 sent


def _held(events: list[Any]) -> int:
    """Deliveries held by quiet hours: welcome, two invitations and the campaign per contact."""
    return len(of_type(events, "NotificationScheduled"))


def _decided_invitations(events: list[Any]) -> int:
    return sum(
        1
        for e in events
        if type(e.data).__name__ in ("NotificationSent", "NotificationFailed")
        and e.data.template == "survey_invitation"
    )


async def _total(sink: MailSink, template: str, *more: MailSink) -> int:
    return received(sink, *more, template=template).total()
