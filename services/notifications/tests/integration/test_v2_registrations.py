"""A contact registered by a v2 event (no name, e-mail or phone on it) gets its welcome e-mail at
the address of its personal record on ``rapport.contacts.personal``, even when that record is read
after the registration (the message waits as for an unknown contact); the profile's tombstone
empties the directory card. Real Kafka, FerretDB and SMTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from rapport_notifications.bootstrap import create_app
from rapport_schemas import topics
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactPersonalData, ContactProfile, ContactRegistered
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.event_webhook_stories import FAST_RETRIES, subscribe
from services.notifications.tests.integration.helpers import (
    T0,
    consent,
    publish,
    source_event,
)
from services.notifications.tests.integration.webhook_receiver import Receiver, receiving
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Budapest


def profile(contact: str) -> ContactProfile:
    """The whole profile, as contacts holds it; a v2 event carries its ``facts()`` only."""
    return ContactProfile(
        name="Kovács Anna",
        email=f"{contact}@example.hu",
        phone="+36301234567",
        language="hu-HU",
        time_zone="Europe/Budapest",
        country="HU",
        currency="HUF",
    )


async def test_a_v2_registration_is_welcomed_at_the_address_its_personal_record_brings(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    _, sink = smtp
    whole = profile("zsofi")
    v2 = ContactRegistered(
        contact_id="zsofi",
        profile=whole.facts(),
        consents=(consent(Channel.EMAIL),),
        registered_at=T0,
    )
    personal = ContactPersonalData.of("zsofi", whole, recorded_at=T0)
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, source_event(v2))

        async def waited() -> bool:
            """The welcome is planned and was put back to wait at least once: no address yet."""
            found = await mongo_db["deliveries"].find_one({"template": "welcome"})
            return (
                bool(found)
                and found["state"] == "pending"
                and found["due_at"] > found["created_at"]
            )

        await eventually(waited, expected=True, timeout=60)
        assert sink.messages == []
        print("\nwelcome before the personal record: waiting, no mail sent")
        await publish(infra.kafka_bootstrap, namespace, source_event(personal))
        await eventually(lambda: _count(sink.messages), expected=1, timeout=60)

    mail = sink.messages[0]
    print(f"welcome after the personal record: To {mail['To']}, {mail['Subject']!r}")
    assert mail["To"] == "zsofi@example.hu"
    assert mail.get_body(("plain",)).get_content().startswith("Tisztelt Kovács Anna!")


async def test_the_profile_tombstone_empties_name_email_and_phone_of_the_card(
    settings_for: Any, smtp: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    whole = profile("bence")
    v2 = ContactRegistered(contact_id="bence", profile=whole.facts(), registered_at=T0)
    personal = ContactPersonalData.of("bence", whole, recorded_at=T0)

    async def card() -> tuple[object, ...]:
        found = await mongo_db["directory"].find_one({"_id": "bence"}) or {}
        return tuple(found.get(field) for field in ("name", "email", "phone", "country"))

    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))):
        await publish(infra.kafka_bootstrap, namespace, source_event(v2))
        await publish(infra.kafka_bootstrap, namespace, source_event(personal))
        known = ("Kovács Anna", "bence@example.hu", "+36301234567", "HU")
        await eventually(card, expected=known, timeout=60)
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                f"{namespace}.{topics.CONTACTS_PERSONAL}", None, key=b"bence"
            )
        finally:
            await producer.stop()
        await eventually(card, expected=(None, None, None, "HU"), timeout=60)
    print(f"\ndirectory card: {known} -> after the tombstone (None, None, None, 'HU')")


async def test_event_webhooks_never_forward_a_personal_record(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    whole = profile("klara")
    v2 = ContactRegistered(contact_id="klara", profile=whole.facts(), registered_at=T0)
    personal = ContactPersonalData.of("klara", whole, recorded_at=T0)
    receiver = Receiver()
    async with (
        receiving(receiver) as base_url,
        serving(create_app(settings_for(**FAST_RETRIES))) as api,
    ):
        refused = await api.post(
            "/webhooks/subscriptions",
            json={"url": f"{base_url}/hooks/x", "event_types": [personal.event_type]},
        )
        print(f"\nsubscribing to {personal.event_type}: {refused.status_code} {refused.text}")
        assert refused.status_code == 422 and "not forwarded" in refused.text
        await subscribe(
            api, receiver, base_url, "all", event_types=[v2.event_type], personal_data=True
        )
        await publish(infra.kafka_bootstrap, namespace, source_event(personal))
        await publish(infra.kafka_bootstrap, namespace, source_event(v2))

        async def delivered() -> list[str]:
            return [r.event["type"] for r in receiver.accepted("all")]

        await eventually(delivered, expected=[v2.event_type], timeout=60)
        read = {
            sample.labels["topic"]
            for family in text_string_to_metric_families((await api.get("/metrics")).text)
            for sample in family.samples
            if sample.name == "rapport_consumer_lag_messages"
            and sample.labels["consumer"] == "event-webhooks"
        }
    print(f"event-webhooks reads {sorted(read)}; delivered {[v2.event_type]}")
    assert read and not {t for t in read if t.removeprefix(f"{namespace}.") in topics.PERSONAL}
    assert (
        receiver.accepted("all")[0]
        .event["data"]["profile"]
        .keys()
        .isdisjoint({"name", "email", "phone"})
    )


async def _count(messages: list[Any]) -> int:
    return len(messages)
