"""``Rebuild.fold`` reads every partition to its end as Kafka holds it: from the first record
retention left (not from the end), and to an end offset no record sits at (a transaction's
commit marker; a compacted-away record)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.records_to_delete import RecordsToDelete

from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, ProjectedEvent
from rapport_kit.rebuild import ReadModel, Rebuild
from rapport_schemas import wrap
from rapport_schemas.contacts import ContactErased

pytestmark = pytest.mark.integration


class Erasures:
    """One document per erased contact."""

    collection = "erasures"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return [received.data.contact_id] if isinstance(received.data, ContactErased) else []

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        return {"_id": key}


def erased(contact: str) -> bytes:
    data = ContactErased(contact_id=contact, erased_at=datetime(2026, 12, 1, tzinfo=UTC))
    return wrap(data, source="/test").model_dump_json().encode()


async def one_partition_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()


async def fold_all(mongo_db: object, bootstrap: str, topic: str) -> tuple[int, set[str]]:
    job = Rebuild(mongo_db, bootstrap, ReadModel("erasures", (topic,), (Erasures(),)), tag="r")  # type: ignore[arg-type]
    end = await job.snapshot([topic])
    read = await asyncio.wait_for(job.fold({}, end, lambda n: None), timeout=60)
    ids = {d["_id"] async for d in mongo_db["erasures__rebuild_r"].find()}  # type: ignore[index]
    return read, ids


async def test_a_rebuild_starts_at_the_first_record_retention_left(mongo_db, infra, namespace):
    topic = f"{namespace}.rapport.contacts.events"
    await one_partition_topic(infra.kafka_bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(6):
            await producer.send_and_wait(topic, erased(f"c{n}"), key=f"c{n}".encode())
    finally:
        await producer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:  # what retention does to the oldest segments: the log now starts at offset 4
        await admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(before_offset=4)})
    finally:
        await admin.close()

    read, ids = await fold_all(mongo_db, infra.kafka_bootstrap, topic)
    assert (read, ids) == (2, {"c4", "c5"})


async def test_a_rebuild_ends_at_an_end_offset_no_record_sits_at(mongo_db, infra, namespace):
    topic = f"{namespace}.rapport.contacts.events"
    await one_partition_topic(infra.kafka_bootstrap, topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, transactional_id=f"{namespace}-tx"
    )
    await producer.start()
    try:
        async with producer.transaction():
            for n in range(3):
                await producer.send(topic, erased(f"c{n}"), key=f"c{n}".encode())
    finally:
        await producer.stop()

    read, ids = await fold_all(mongo_db, infra.kafka_bootstrap, topic)
    # Offsets 0-2 are the events, 3 the commit marker: the end offset is 4.
    assert (read, ids) == (3, {"c0", "c1", "c2"})
