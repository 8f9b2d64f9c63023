"""Idle, the outbox sweeper asks the store nothing: a round retries only the documents whose
publish failed in this process, by ``_id``; the whole collection is scanned at start, once more
after the grace period, then every ``full_interval`` (FerretDB answers such a scan by reading every
document, so an idle service's store cost grew with its data)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener, CommandStartedEvent

from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import (
    FULL_SWEEP_INTERVAL,
    OUTBOX,
    OutboxDocuments,
    OutboxPublisher,
    OutboxSweeper,
)
from rapport_kit.settings import ServiceSettings
from rapport_schemas import decode, topics, wrap
from tests.support.events import interaction
from tests.support.kafka import read_until

pytestmark = pytest.mark.integration


class Commands(CommandListener):
    """The commands the client sent, by name and collection."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.sent.append((event.command_name, event.command.get(event.command_name)))

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SwitchableBroker:
    """Kafka away until ``back`` is set."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker, self.back = broker, False

    async def publish(self, *args: Any, **kwargs: Any) -> Any:
        if not self.back:
            raise KafkaConnectionError("kafka is away")
        return await self.broker.publish(*args, **kwargs)


@pytest.fixture
async def watched(infra: Any, namespace: str) -> AsyncIterator[tuple[Any, Commands]]:
    commands = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infra.mongo_url, tz_aware=True, event_listeners=[commands]
    )
    yield client[namespace]["outboxes"], commands
    await client.drop_database(namespace)
    await client.close()


@pytest.fixture
async def broker(infra: Any) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(infra.kafka_bootstrap, acks="all")
    await broker.connect()
    yield broker
    await broker.stop()


def reads(commands: Commands) -> list[str]:
    return [name for name, collection in commands.sent if collection == "outboxes"]


async def test_idle_rounds_send_no_command_and_the_full_scan_runs_on_its_schedule(
    watched, broker, namespace
) -> None:
    collection, commands = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    store = OutboxDocuments(collection, OutboxPublisher(broker), settings)
    clock = Monotonic()
    sweeper = OutboxSweeper(
        [store],
        gauges=OutboxGauges(CollectorRegistry(), service="kit"),
        interval=1.0,
        monotonic=clock,
    )
    await sweeper.sweep()  # at start: the full scan
    clock.now += sweeper.grace.total_seconds() + sweeper.interval
    await sweeper.sweep()  # once more after the grace period
    assert reads(commands) == ["find", "find"]

    commands.sent.clear()
    for _ in range(30):
        clock.now += sweeper.interval
        await sweeper.sweep()
    assert reads(commands) == []  # 30 idle rounds: not one command

    clock.now += FULL_SWEEP_INTERVAL.total_seconds()
    await sweeper.sweep()
    assert reads(commands) == ["find"]


async def test_a_failed_publish_is_retried_every_round_by_id(
    infra, watched, broker, namespace
) -> None:
    collection, commands = watched
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    switchable = SwitchableBroker(broker)
    store = OutboxDocuments(collection, OutboxPublisher(switchable), settings)  # type: ignore[arg-type]
    clock = Monotonic()
    sweeper = OutboxSweeper(
        [store], gauges=OutboxGauges(CollectorRegistry(), service="kit"), monotonic=clock
    )
    sweeper.next_full = clock.now + FULL_SWEEP_INTERVAL.total_seconds()  # past the start scans
    await store.insert({"_id": "d1"}, [wrap(interaction("c1"), source="/test")])
    assert store.unpublished == {"d1"}

    commands.sent.clear()
    with pytest.raises(KafkaConnectionError):
        await sweeper.sweep()  # Kafka still away: kept for the next round
    # Read by _id, claimed, given back after the failed send.
    assert store.unpublished == {"d1"}
    assert reads(commands) == ["find", "findAndModify", "update"]

    switchable.back = True
    await sweeper.sweep()
    assert store.unpublished == set()
    assert (await collection.find_one({"_id": "d1"}))[OUTBOX] == []
    records = await read_until(
        infra.kafka_bootstrap, settings.topic(topics.CONTACTS), lambda rs: len(rs) >= 1
    )
    assert [decode(r.value or b"").sequence for r in records] == ["0000000000000001"]
