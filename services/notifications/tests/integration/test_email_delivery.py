"""E-mail over a real SMTP server, triggered by real events on Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import FormOfAddress, PurchaseRecorded
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    T0,
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
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Budapest
HU_WELCOME = load_catalogs()["hu"].messages["welcome"]


async def test_a_welcome_email_arrives_in_the_contacts_language(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    trigger = source_event(registered("anna", consents=(consent(Channel.EMAIL),)))
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, trigger)
        await eventually(lambda: _count(sink.messages), expected=1)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationSent"))
        )

    mail = sink.messages[0]
    assert mail["To"] == "anna@example.hu"
    assert mail["Subject"] == HU_WELCOME.subject
    assert mail["Content-Language"] == "hu"
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith("Tisztelt Kovács Anna!") and "Ön által választott nyelven" in text
    assert 'lang="hu-HU" dir="ltr"' in mail.get_body(("html",)).get_content()
    sent = of_type(events, "NotificationSent")[0].data
    assert (sent.template, sent.channel, sent.locale) == ("welcome", Channel.EMAIL, "hu")
    assert sent.consent.source == "signup-form" and sent.consent.changed_at == T0
    assert sent.transactional and not sent.internal
    assert sent.trigger_event_id == trigger.id
    # Numbered in the delivery's own stream (its outbox document), from 1.
    [envelope] = of_type(events, "NotificationSent")
    assert envelope.sequencestream is not None and envelope.sequencestream.startswith("deliveries/")
    assert envelope.sequence is not None and envelope.sequence.isdigit()


async def test_the_salutation_follows_the_form_of_address_the_contact_chose(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    german = registered(
        "anja",
        consents=(consent(Channel.EMAIL),),
        name="Anja Schmidt",
        email="anja@example.de",
        language="de-DE",
        time_zone="Europe/Berlin",
        country="DE",
        currency="EUR",
        form_of_address=FormOfAddress.FEMININE,
    )
    spanish = registered(  # no form of address stored: the neutral salutation
        "ana",
        consents=(consent(Channel.EMAIL),),
        name="Ana García",
        email="ana@example.es",
        language="es-ES",
        time_zone="Europe/Madrid",
        country="ES",
        currency="EUR",
    )
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        for event in (german, spanish):
            await publish(infra.kafka_bootstrap, namespace, source_event(event))
        await eventually(lambda: _count(sink.messages), expected=2)

    texts = {  # the wire's CRLF line ends read as the catalog's
        mail["To"]: mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        for mail in sink.messages
    }
    assert texts["anja@example.de"].startswith("Sehr geehrte Frau Anja Schmidt,\n\nvielen Dank")
    assert texts["ana@example.es"].startswith("Hola, Ana García:\n\nGracias por elegir Rapport.")
    assert not any("/a " in text or "/r " in text for text in texts.values())


async def test_the_same_trigger_delivered_twice_sends_one_email(
    settings_for: Any, smtp: Any, infra: Any, namespace: str
) -> None:
    _, sink = smtp
    trigger = source_event(registered("bela", consents=(consent(Channel.EMAIL),)))
    purchase = source_event(
        PurchaseRecorded(
            purchase_id="p1",
            contact_id="bela",
            amount=Decimal("12990"),
            currency="HUF",
            occurred_at=DAYTIME,
            order_ref="ORD-1",
        )
    )
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        for event in (trigger, trigger, purchase):  # same contact: one partition, in this order
            await publish(infra.kafka_bootstrap, namespace, event)
        await eventually(lambda: _count(sink.messages), expected=2)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, "NotificationSent")) >= 2
        )

    subjects = [mail["Subject"] for mail in sink.messages]
    assert subjects.count(HU_WELCOME.subject) == 1
    thanks = next(mail for mail in sink.messages if mail["Subject"] != HU_WELCOME.subject)
    thanks_text = thanks.get_body(("plain",)).get_content()
    # Whole forints, the day with its suffix, the article the brand takes: as a Hungarian writes.
    assert "Köszönjük 2026. november 24-én leadott, 12\u00a0990\u00a0Ft összegű" in thanks_text
    assert "hogy a Rapport céget" in thanks_text and "a(z)" not in thanks_text
    assert sorted(e.data.template for e in of_type(events, "NotificationSent")) == [
        "purchase_thank_you",
        "welcome",
    ]


async def test_without_consent_nothing_is_sent_and_the_reason_is_recorded(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    trigger = source_event(registered("csaba", consents=()))
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, trigger)
        events = await notifications(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, "NotificationFailed"))
        )

    failed = of_type(events, "NotificationFailed")[0].data
    assert (failed.reason, failed.permanent, failed.template) == ("no_consent", True, "welcome")
    assert of_type(events, "NotificationSent") == []
    assert sink.messages == []
    delivery = await mongo_db["deliveries"].find_one({"trigger_event_id": trigger.id})
    assert (delivery["state"], delivery["failure"]) == ("failed", "no_consent")


async def _count(items: list[Any]) -> int:
    return len(items)
