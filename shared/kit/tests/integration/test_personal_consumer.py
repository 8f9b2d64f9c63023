"""A service's consumer on the real broker reads a personal topic beside an event topic: the
personal record is folded, its tombstone is handed over as a ``Tombstone`` and erases it, the v1
copy of an event is skipped, and nothing is dead-lettered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer

from rapport_kit.admin import end_offsets, personal_topic_configs
from rapport_kit.personal import Tombstone
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics, wrap
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
)
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ada Example", language="de-DE", time_zone="Europe/Berlin", country="DE", currency="EUR"
)


class Directory:
    """Registrations counted, the name kept from the personal topic, erased by its tombstone."""

    collection = "directory"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return (received.event.subject,)

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        current = state or {"registrations": 0, "name": None, "erased": False}
        match received.data:
            case ContactRegistered():
                return {**current, "registrations": current["registrations"] + 1}
            case ContactPersonalData(name=name):
                return {**current, "name": name}
            case Tombstone(personal_topic=topics.CONTACTS_PERSONAL, item=None):
                return {**current, "name": None}
            case ContactErased():
                return {**current, "erased": True}
        return current


async def test_a_personal_record_is_folded_and_erased_by_its_tombstone_and_a_copy_is_skipped(
    service_env, infra, namespace, mongo_db
) -> None:
    settings = ServiceSettings(**service_env)  # type: ignore[arg-type]
    runtime = ServiceRuntime.build(settings, service="kit-personal")
    store = ProjectionStore(runtime.db, Directory())
    consumer = ProjectionConsumer(SeenEvents(runtime.db, "directory"), [store])
    runtime.consume("directory", consumer, base_topics=[topics.CONTACTS, topics.CONTACTS_PERSONAL])
    registered = wrap(
        ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    copy = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT),
        source="/t",
        copy_of=registered.id,
    )
    personal = wrap(ContactPersonalData.of("ct_1", PROFILE, recorded_at=AT), source="/t")
    erased = wrap(ContactErased(contact_id="ct_1", erased_at=AT), source="/t")
    events, personal_topic = (
        settings.topic(topics.CONTACTS),
        settings.topic(topics.CONTACTS_PERSONAL),
    )
    configs = {topics.CONTACTS_PERSONAL: personal_topic_configs(1)}
    async with runtime.run(produced_topics=[topics.CONTACTS_PERSONAL], topic_configs=configs):
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for event in (registered, copy):
                await producer.send_and_wait(events, event.model_dump_json().encode(), key=b"ct_1")
            await producer.send_and_wait(
                personal_topic, personal.model_dump_json().encode(), key=b"ct_1"
            )

            async def named() -> object:
                document = await mongo_db[Directory.collection].find_one({"_id": "ct_1"})
                return document and document["name"]

            assert await eventually(named, expected="Ada Example")
            await producer.send_and_wait(personal_topic, None, key=b"ct_1")
            await producer.send_and_wait(events, erased.model_dump_json().encode(), key=b"ct_1")
        finally:
            await producer.stop()

        async def directory_entry() -> object:
            document = await mongo_db[Directory.collection].find_one({"_id": "ct_1"}, {"_id": 0})
            return document and {k: v for k, v in document.items() if not k.startswith("_")}

        await eventually(
            directory_entry, expected={"registrations": 1, "name": None, "erased": True}
        )
    dlq = settings.topic(topics.dead_letter_topic("kit-personal"))
    assert sum((await end_offsets(infra.kafka_bootstrap, [dlq])).values()) == 0
