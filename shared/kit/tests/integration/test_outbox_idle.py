"""Idle, the outbox sweeper asks the store nothing that grows with the data: a round retries only
the documents whose publish failed in this process, by ``_id``; the whole collection is scanned at
start and once more after the grace period (FerretDB answers such a scan by reading every
document); the safety sweep every ``safety_interval`` reads the index of pending outboxes
(``<collection>_pending_outboxes``) and those documents by ``_id``, so what a crashed writer left
between its two writes is found there and published."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from rapport_kit.mongo import Document
from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import (
    APPENDED,
    OUTBOX,
    PENDING,
    SAFETY_SWEEP_INTERVAL,
    SEQUENCE,
    TOUCHED,
    OutboxDocuments,
    OutboxPublisher,
    OutboxSweeper,
)
from rapport_kit.pending_outboxes import NEVER_WRITTEN
from rapport_kit.settings import ServiceSettings
from rapport_schemas import decode, topics, wrap
from tests.support.commands import Commands, Monotonic, watched_client
from tests.support.events import interaction
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration

INDEX = "outboxes_pending_outboxes"
INERT_DOCUMENTS = 3_000


class SwitchableBroker:
    """Kafka away until ``back`` is set."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker, self.back = broker, False

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        if not self.back:
            raise KafkaConnectionError("kafka is away")
        return await self.broker.publish(*args, **kwargs)


class AnnouncingDuringSend:
    """Kafka, and a writer announcing its next write of ``key`` while the first is sent."""

    def __init__(self, broker: KafkaBroker, writer: OutboxDocuments, key: str) -> None:
        self.broker, self.writer, self.key = broker, writer, key
        self.announced: list[str] = []

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        if not self.announced:  # once: during the first send
            self.announced.append(await self.writer.announce([self.key]))
        return await self.broker.publish(*args, **kwargs)


class CrashingWriter(OutboxDocuments):
    """A writer whose process dies right after its write, before its own publish."""

    async def publish_now(self, documents: Sequence[Document]) -> None:
        pass


class StoreClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def watched(infra: Any, namespace: str) -> AsyncIterator[tuple[Any, Commands]]:
    commands = Commands()
    client = watched_client(infra.mongo_url, commands)
    collection = client[namespace]["outboxes"]
    # Published documents: what most of a quiet collection holds.
    await collection.insert_many(
        [{"_id": f"published-{n}", OUTBOX: [], PENDING: False} for n in range(INERT_DOCUMENTS)]
    )
    commands.clear()
    yield collection, commands
    await client.drop_database(namespace)
    await client.close()


@pytest.fixture
async def broker(infra: Any) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(infra.kafka_bootstrap, acks="all")
    await broker.connect()
    yield broker
    await broker.stop()


def sweeper_of(stores: Sequence[OutboxDocuments], clock: Monotonic) -> OutboxSweeper:
    gauges = OutboxGauges(CollectorRegistry(), service="kit")
    return OutboxSweeper(stores, gauges=gauges, interval=1.0, monotonic=clock)


async def started(sweeper: OutboxSweeper, clock: Monotonic) -> None:
    """Past the start scans: the one at start and the one after the grace period."""
    await sweeper.sweep()
    clock.now += sweeper.grace.total_seconds() + sweeper.interval
    await sweeper.sweep()


async def safety_sweep(sweeper: OutboxSweeper, clock: Monotonic) -> None:
    clock.now += SAFETY_SWEEP_INTERVAL.total_seconds()
    await sweeper.sweep()


async def sequences(infra: Any, settings: ServiceSettings, count: int) -> list[str | None]:
    topic = settings.topic(topics.CONTACTS)
    records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= count)
    return [decode(r.value or b"").sequence for r in records]


async def test_idle_rounds_send_no_command_and_the_safety_sweep_reads_only_the_index(
    watched, broker, namespace
) -> None:
    collection, commands = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    store = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    clock = Monotonic()
    sweeper = sweeper_of([store], clock)
    await started(sweeper, clock)
    assert (commands.to("outboxes"), commands.to(INDEX)) == (["find", "find"], [])

    commands.clear()
    for _ in range(30):
        clock.now += sweeper.interval
        await sweeper.sweep()
    # 30 idle rounds among 3,000 documents: not one command.
    assert (commands.to("outboxes"), commands.to(INDEX)) == ([], [])

    await safety_sweep(sweeper, clock)
    # The minute's sweep: the (empty) index, not the 3,000 documents.
    assert (commands.to("outboxes"), commands.to(INDEX)) == ([], ["find"])


async def test_a_failed_publish_is_retried_every_round_by_id(
    infra, watched, broker, namespace
) -> None:
    collection, commands = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    switchable = SwitchableBroker(broker)
    store = OutboxDocuments(collection, OutboxPublisher(switchable), settings)  # type: ignore[arg-type]
    clock = Monotonic()
    sweeper = sweeper_of([store], clock)
    await started(sweeper, clock)
    await store.insert({"_id": "d1"}, [wrap(interaction("c1"), source="/test")])
    assert store.unpublished == {"d1"}
    assert await store.pending.collection.count_documents({}) == 1

    commands.clear()
    clock.now += sweeper.interval
    with pytest.raises(KafkaConnectionError):
        await sweeper.sweep()  # Kafka still away: kept for the next round
    # Read by _id, claimed, given back after the failed send.
    assert store.unpublished == {"d1"}
    assert commands.to("outboxes") == ["find", "findAndModify", "update"]

    switchable.back = True
    clock.now += sweeper.interval
    await sweeper.sweep()
    assert store.unpublished == set()
    assert (await collection.find_one({"_id": "d1"}))[OUTBOX] == []
    assert await sequences(infra, settings, 1) == ["0000000000000001"]
    # Published: its entry in the index is gone.
    assert await store.pending.collection.count_documents({}) == 0


async def test_an_outbox_written_by_a_writer_that_crashed_is_published_by_the_safety_sweep(
    infra, watched, broker, namespace
) -> None:
    """The writer announced the document in the index, wrote it, and died before publishing;
    its peer, past its start scans, finds it in the minute's safety sweep."""
    collection, commands = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    store_clock, clock = StoreClock(), Monotonic()
    peer = OutboxDocuments(collection, OutboxPublisher(broker), settings, clock=store_clock)
    sweeper = sweeper_of([peer], clock)
    await started(sweeper, clock)
    crashed = CrashingWriter(collection, OutboxPublisher(broker), settings, clock=store_clock)
    await crashed.insert({"_id": "d1"}, [wrap(interaction("c1"), source="/test")])
    await crashed.write(
        {"_id": "d1"}, {"$set": {"n": 2}}, [wrap(interaction("c1"), source="/test")]
    )

    commands.clear()
    clock.now += sweeper.interval
    await sweeper.sweep()
    assert commands.to("outboxes") == []  # not this process's write: no round retries it

    store_clock.now += sweeper.grace  # overdue
    await safety_sweep(sweeper, clock)
    assert commands.to(INDEX)[0] == "find"
    assert commands.to("outboxes")[:2] == ["find", "findAndModify"]  # by _id, then claimed
    assert await sequences(infra, settings, 2) == ["0000000000000001", "0000000000000002"]
    document = await collection.find_one({"_id": "d1"})
    assert (document[OUTBOX], document[PENDING]) == ([], False)
    assert await peer.pending.collection.count_documents({}) == 0


async def test_an_entry_whose_write_never_came_stays_until_it_is_old_then_goes(
    watched, broker, namespace
) -> None:
    """A writer that died between its entry and its write: the entry is kept (the write might
    still be in flight) until ``NEVER_WRITTEN`` has passed, then deleted by the sweep."""
    collection, _ = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    store_clock, clock = StoreClock(), Monotonic()
    store = OutboxDocuments(collection, OutboxPublisher(broker), settings, clock=store_clock)
    sweeper = sweeper_of([store], clock)
    await started(sweeper, clock)
    await store.announce(["never-stored", "published-7"])

    await safety_sweep(sweeper, clock)
    entries = await store.pending.collection.find({}, {"_id": 1}).to_list()
    assert sorted(e["_id"] for e in entries) == ["never-stored", "published-7"]

    store_clock.now += NEVER_WRITTEN + timedelta(seconds=1)
    await safety_sweep(sweeper, clock)
    assert await store.pending.collection.count_documents({}) == 0


async def test_a_publish_ending_as_a_new_write_is_announced_keeps_the_new_entry(
    infra, watched, broker, namespace
) -> None:
    """A write announced while the publisher releases the earlier outbox (the new entry's token
    differs from the one the publisher claimed): the release does not delete it, so the new
    write, its writer crashed, is found by the safety sweep."""
    collection, _ = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    store_clock, clock = StoreClock(), Monotonic()
    crashed = CrashingWriter(collection, OutboxPublisher(broker), settings, clock=store_clock)
    announcing = AnnouncingDuringSend(broker, crashed, "d1")
    publisher = OutboxPublisher(announcing)  # type: ignore[arg-type]
    store = OutboxDocuments(collection, publisher, settings, clock=store_clock)
    sweeper = sweeper_of([store], clock)
    await started(sweeper, clock)
    await crashed.insert({"_id": "d1"}, [wrap(interaction("c1"), source="/test")])

    await store.publish_now([{"_id": "d1"}])  # the next write is announced during the send
    [announced] = announcing.announced
    assert (await collection.find_one({"_id": "d1"}))[PENDING] is False  # released
    [entry] = await store.pending.collection.find({}).to_list()
    assert entry["token"] == announced  # the new announcement's entry is kept

    event = crashed.entries([wrap(interaction("c1"), source="/test")])
    update = crashed.with_outbox({"$set": {"n": 2}}, event, announced=announced)
    await collection.update_one({"_id": "d1"}, update)  # written; its writer dies
    store_clock.now += sweeper.grace  # overdue
    await safety_sweep(sweeper, clock)
    assert await sequences(infra, settings, 2) == ["0000000000000001", "0000000000000002"]
    assert await store.pending.collection.count_documents({}) == 0


async def test_a_pending_outbox_older_than_the_index_is_indexed_by_the_start_scan(
    infra, watched, broker, namespace
) -> None:
    """A document written before the index existed, left pending: a start scan, Kafka away,
    indexes it before its process dies, and a peer's safety sweep publishes it."""
    collection, _ = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    clock = Monotonic()
    peer = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    peer_sweeper = sweeper_of([peer], clock)
    await started(peer_sweeper, clock)
    entries = peer.entries([wrap(interaction("c1"), source="/test")])
    touched = datetime.now(UTC) - timedelta(minutes=5)
    fields = {OUTBOX: entries, SEQUENCE: 1, APPENDED: 1, PENDING: True, TOUCHED: touched}
    await collection.insert_one({"_id": "legacy", **fields})

    away = SwitchableBroker(broker)
    dying = OutboxDocuments(collection, OutboxPublisher(away), settings)  # type: ignore[arg-type]
    with pytest.raises(KafkaConnectionError):
        await sweeper_of([dying], Monotonic()).sweep()  # its start scan; then it dies
    [entry] = await dying.pending.collection.find({}).to_list()
    assert (entry["_id"], entry.get("token")) == ("legacy", None)  # no token: none written

    await safety_sweep(peer_sweeper, clock)
    assert await sequences(infra, settings, 1) == ["0000000000000001"]
    assert await peer.pending.collection.count_documents({}) == 0
