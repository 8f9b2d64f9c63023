"""The outbox sends tombstones and v1 copies in order with its events, on the real broker and
MongoDB-wire server: a tombstone is a null value for its key on the personal topic, after the
record it erases; a copy carries its original's sequence and takes no number of its own; an
``AfterAcknowledged`` event is sent only once everything before it is acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.admin import ensure_topics, personal_topic_configs
from rapport_kit.consuming import ROLL, ReceivedEvent, received_event
from rapport_kit.outbox import (
    OUTBOX,
    SEQUENCE,
    AfterAcknowledged,
    OutboxDocuments,
    OutboxPublisher,
    OutboxTombstone,
)
from rapport_kit.personal import Tombstone, roll_segments
from rapport_kit.settings import ServiceSettings
from rapport_schemas import decode, topics, wrap
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ErasureCompleted,
    InteractionSummary,
)
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ada Example", language="de-DE", time_zone="Europe/Berlin", country="DE", currency="EUR"
)


@pytest.fixture
async def broker(infra: Any) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(infra.kafka_bootstrap, acks="all")
    await broker.connect()
    yield broker
    await broker.stop()


async def test_tombstones_and_copies_go_through_the_outbox_in_order(
    infra, broker, namespace, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    events_topic = settings.topic(topics.CONTACTS)
    personal_topic = settings.topic(topics.CONTACTS_PERSONAL)
    store = OutboxDocuments(mongo_db["contacts"], OutboxPublisher(broker), settings)
    registered = wrap(
        ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    copy = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT),
        source="/t",
        copy_of=registered.id,
    )
    personal = wrap(ContactPersonalData.of("ct_1", PROFILE, recorded_at=AT), source="/t")
    summary = wrap(
        InteractionSummary(contact_id="ct_1", interaction_id="in_1", summary="x", occurred_at=AT),
        source="/t",
    )
    await store.insert({"_id": "ct_1"}, [registered, copy, personal, summary])
    erased = wrap(ContactErased(contact_id="ct_1", erased_at=AT), source="/t")
    tombstones = [
        OutboxTombstone(topics.CONTACTS_PERSONAL, "ct_1"),
        OutboxTombstone(topics.CONTACTS_PERSONAL, "ct_1:interaction:in_1"),
    ]
    await store.write({"_id": "ct_1"}, {"$set": {"erased": True}}, [erased, *tombstones])

    drained = await mongo_db["contacts"].find_one({"_id": "ct_1"})
    assert drained[OUTBOX] == [] and drained[SEQUENCE] == 4  # 2 events, 2 personal records
    on_events = await read_until(infra.kafka_bootstrap, events_topic, lambda rs: len(rs) >= 3)
    sent = [decode(r.value or b"") for r in on_events]
    assert [(e.id, e.sequence, e.rapportcopyof) for e in sent] == [
        (registered.id, "0000000000000001", None),
        (copy.id, "0000000000000001", registered.id),
        (erased.id, "0000000000000004", None),
    ]
    on_personal = await read_until(infra.kafka_bootstrap, personal_topic, lambda rs: len(rs) >= 4)
    by_key: dict[bytes | None, list[bytes | None]] = {}
    for record in sorted(on_personal, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(record.value)
    assert set(by_key) == {b"ct_1", b"ct_1:interaction:in_1"}
    for key, values in by_key.items():  # each key's record, then its tombstone (same partition)
        assert len(values) == 2 and values[0] is not None and values[1] is None, key
    partitions = {r.key: {p.partition for p in on_personal if p.key == r.key} for r in on_personal}
    assert all(len(found) == 1 for found in partitions.values())
    erasures = [received_event(r) for r in on_personal if r.value is None]
    keys = [r.data.key for r in erasures if isinstance(r, ReceivedEvent)]
    assert all(isinstance(r, ReceivedEvent) and isinstance(r.data, Tombstone) for r in erasures)
    assert sorted(keys) == ["ct_1", "ct_1:interaction:in_1"]


async def test_roll_tombstones_reach_every_partition_and_no_consumer_applies_them(
    infra, broker, namespace
) -> None:
    topic = f"{namespace}.{topics.FEEDBACK_PERSONAL}"
    await ensure_topics(
        ServiceSettings(topic_prefix=f"{namespace}."),
        [topic],
        configs={topic: personal_topic_configs(1)},
    )
    await roll_segments(broker, topic, partitions=3)
    records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= 3)
    assert sorted((r.partition, r.key, r.value) for r in records) == [
        (p, f"_roll:{p}".encode(), None) for p in range(3)
    ]
    assert {received_event(r) for r in records} == {ROLL}


async def until(condition: Callable[[], bool]) -> None:
    async def polled() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(polled(), timeout=30)


class HeldAcknowledgements:
    """A producer whose acknowledgements come only on ``release``; every send records how many
    had come before it."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, int]] = []
        self.held: list[asyncio.Future[None]] = []
        self.released = 0

    async def publish(self, value: bytes | None, **options: Any) -> asyncio.Future[None]:
        self.sent.append((options["key"], self.released))
        self.held.append(asyncio.get_running_loop().create_future())
        return self.held[-1]

    def release(self) -> None:
        for held in self.held:
            if not held.done():
                held.set_result(None)
                self.released += 1


async def test_an_event_after_acknowledged_waits_for_every_entry_before_it(
    namespace, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    holding = HeldAcknowledgements()
    store = OutboxDocuments(mongo_db["contacts"], OutboxPublisher(holding), settings)  # type: ignore[arg-type]
    completed = wrap(
        ErasureCompleted(
            contact_id="ct_1", erased_at=AT, completed_at=AT, deadline_at=AT + timedelta(hours=24)
        ),
        source="/t",
    )
    items = [
        OutboxTombstone(topics.CONTACTS_PERSONAL, "ct_1"),
        OutboxTombstone(topics.CONTACTS_PERSONAL, "ct_1:interaction:in_1"),
        AfterAcknowledged(completed),
    ]
    writing = asyncio.create_task(store.insert({"_id": "ct_1"}, items))
    await until(lambda: len(holding.sent) >= 2)
    assert len(holding.sent) == 2  # the outbox waits for the tombstones' acknowledgements
    holding.release()
    await until(lambda: len(holding.sent) == 3)
    holding.release()
    await asyncio.wait_for(writing, timeout=30)
    # ErasureCompleted was sent only once both tombstones were acknowledged.
    assert holding.sent == [(b"ct_1", 0), (b"ct_1:interaction:in_1", 0), (b"ct_1", 2)]
    stored = await mongo_db["contacts"].find_one({"_id": "ct_1"})
    assert stored[OUTBOX] == [] and stored[SEQUENCE] == 1
