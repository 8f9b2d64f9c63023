"""The outbox publishes under a lease on the real broker and MongoDB-wire server: an entry whose
first publish is in flight is never sent beside it, a publisher that died holding the lease is
replaced once it expires, and every event carries its document's ``sequence``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.clock import utc_now
from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import (
    CLAIM,
    LEASE,
    OUTBOX,
    PENDING,
    OutboxDocuments,
    OutboxPublisher,
    OutboxSweeper,
    OutboxTombstone,
)
from rapport_kit.settings import ServiceSettings
from rapport_schemas import decode, topics, wrap
from rapport_schemas.contacts import InteractionLogged
from tests.support.events import interaction
from tests.support.in_memory import SettableClock
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration

Records = list[ConsumerRecord[bytes, bytes]]


@pytest.fixture
async def broker(infra: Any) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(infra.kafka_bootstrap, acks="all")
    await broker.connect()
    yield broker
    await broker.stop()


@pytest.fixture
def settings(namespace: str) -> ServiceSettings:
    return ServiceSettings(topic_prefix=f"{namespace}.")


def events(count: int, contact: str = "c1") -> list[Any]:
    return [wrap(interaction(contact), source="/test") for _ in range(count)]


class GatedBroker:
    """Holds every send until ``opened``: a first publish that is still in flight."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker, self.opened, self.waiting = broker, asyncio.Event(), asyncio.Event()

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        self.waiting.set()
        await self.opened.wait()
        return await self.broker.publish(*args, **kwargs)


class DiesAfterClaiming(OutboxPublisher):
    """Takes the lease and dies before sending (the process was killed mid-publish)."""

    async def publish_many(self, collection: Any, documents: Any) -> int:
        await self.claim(collection, sorted(d["_id"] for d in documents))
        return 0


async def on_topic(infra: Any, topic: str, count: int, *, timeout: float = 30) -> Records:
    """The topic's records once it holds ``count`` (or more), read from the beginning."""
    return await read_until(
        infra.kafka_bootstrap, topic, lambda rs: len(rs) >= count, timeout=timeout
    )


def sweeper(store: OutboxDocuments) -> OutboxSweeper:
    gauges = OutboxGauges(CollectorRegistry(), service="kit")
    return OutboxSweeper([store], gauges=gauges, grace=timedelta(0))


async def test_a_publisher_killed_holding_the_lease_is_replaced_once_it_expires(
    infra, broker, settings, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    collection, topic = mongo_db["outboxes"], settings.topic(topics.CONTACTS)
    dying = OutboxDocuments(collection, DiesAfterClaiming(broker), settings)
    await dying.insert({"_id": "d1"}, events(2))
    claimed = await collection.find_one({"_id": "d1"})
    assert claimed[CLAIM] is not None and len(claimed[OUTBOX]) == 2

    lease_clock = SettableClock(utc_now())
    healthy = OutboxDocuments(collection, OutboxPublisher(broker, clock=lease_clock), settings)
    assert await sweeper(healthy).sweep_once() == 0  # the lease is still live: hands off

    lease_clock.now += LEASE + timedelta(seconds=1)
    assert await sweeper(healthy).sweep_once() == 2

    records = await on_topic(infra, topic, 2)
    published = [decode(r.value or b"") for r in records]
    assert [e.id for e in published] == [e["id"] for e in claimed[OUTBOX]]
    assert [e.sequence for e in published] == ["0000000000000001", "0000000000000002"]
    assert {e.sequencestream for e in published} == {"outboxes/d1"}
    drained = await collection.find_one({"_id": "d1"})
    assert drained[OUTBOX] == [] and drained[PENDING] is False and drained[CLAIM] is None


async def test_the_sweeper_leaves_an_entry_whose_first_publish_is_in_flight(
    infra, broker, settings, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    collection, topic = mongo_db["outboxes"], settings.topic(topics.CONTACTS)
    gate = GatedBroker(broker)
    store = OutboxDocuments(collection, OutboxPublisher(gate), settings)  # type: ignore[arg-type]
    writing = asyncio.create_task(store.insert({"_id": "d1"}, events(3)))
    await asyncio.wait_for(gate.waiting.wait(), timeout=10)

    # Grace 0: the entries are overdue for the sweeper, but their publish holds the lease.
    assert await sweeper(store).sweep_once() == 0
    gate.opened.set()
    await asyncio.wait_for(writing, timeout=30)
    assert await sweeper(store).sweep_once() == 0

    sentinel = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    await sentinel.insert({"_id": "sentinel"}, events(1, contact="c1"))
    records = await on_topic(infra, topic, 4)
    ids = [decode(r.value or b"").id for r in records]
    assert len(ids) == len(set(ids)) == 4


async def test_a_tombstone_appended_while_the_first_publish_is_in_flight_is_sent(
    infra, broker, settings, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    """A tombstone takes no sequence number: the release must still see it was appended."""
    collection = mongo_db["outboxes"]
    personal_topic = settings.topic(topics.CONTACTS_PERSONAL)
    gate = GatedBroker(broker)
    store = OutboxDocuments(collection, OutboxPublisher(gate), settings)  # type: ignore[arg-type]
    writing = asyncio.create_task(store.insert({"_id": "d1"}, events(1)))
    await asyncio.wait_for(gate.waiting.wait(), timeout=10)

    # Another writer (e.g. feedback folding an erasure) appends only a tombstone meanwhile; its
    # own publish finds the lease held and leaves the entry to the lease's holder.
    other = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    erase = [OutboxTombstone(topics.CONTACTS_PERSONAL, "c1:survey:s1")]
    await other.write({"_id": "d1"}, {"$set": {"erased": True}}, erase)
    gate.opened.set()
    await asyncio.wait_for(writing, timeout=30)

    records = await on_topic(infra, personal_topic, 1)
    assert [(r.key, r.value) for r in records] == [(b"c1:survey:s1", None)]
    drained = await collection.find_one({"_id": "d1"})
    assert drained[OUTBOX] == [] and drained[PENDING] is False


class UnreachableBroker:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise KafkaConnectionError("kafka is away")


async def test_sequence_numbers_each_write_of_a_document_in_order(
    infra, broker, settings, mongo_db: AsyncDatabase[dict[str, Any]]
) -> None:
    collection, topic = mongo_db["outboxes"], settings.topic(topics.CONTACTS)
    store = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    await store.insert({"_id": "d1", "version": 1}, events(1))
    await store.write({"_id": "d1"}, {"$set": {"version": 2}}, events(2))
    away = OutboxDocuments(collection, OutboxPublisher(UnreachableBroker()), settings)  # type: ignore[arg-type]
    await away.write({"_id": "d1"}, {"$set": {"version": 3}}, events(2))  # left pending
    # Erasure drops the two never sent: numbers 4 and 5 are a gap, never reused.
    await store.write({"_id": "d1"}, {"$set": {"version": 4}}, events(1), replace_outbox=True)

    records = await on_topic(infra, topic, 4)
    published = [decode(r.value or b"") for r in records]
    assert all(isinstance(e.data, InteractionLogged) for e in published)
    assert [e.sequence for e in published] == [f"{n:016d}" for n in (1, 2, 3, 6)]
