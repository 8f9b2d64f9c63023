"""Idle, the delivery worker's reads (due deliveries, expired leases, the scheduled backlog) ask the
store nothing, whatever the number of deliveries: they follow the wake-ups this process's writes
noted and read those deliveries by ``_id``. The whole collection is scanned once, at start
(FerretDB answers each of those filters by reading every delivery); the safety sweep once a minute
reads the open deliveries' index (``open_deliveries``) and those deliveries by ``_id``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from rapport_kit.outbox import OutboxPublisher
from rapport_kit.settings import ServiceSettings
from rapport_kit.wakeups import FULL_SCAN_INTERVAL, Wakeups
from rapport_notifications.adapters.deliveries import MongoDeliveries
from rapport_notifications.domain.delivery import State
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from tests.support.commands import Commands, Monotonic, watched_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 18, 21, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
INERT_DELIVERIES = 3_000


@pytest.fixture
async def database(infra: Any, namespace: str) -> AsyncIterator[tuple[Any, Commands]]:
    # Sent deliveries: what most of a quiet collection holds.
    inert = [
        {"_id": f"sent-{n}", "state": "sent", "due_at": NOW, "contact_id": f"c{n}"}
        for n in range(INERT_DELIVERIES)
    ]
    async with watched_database(infra.mongo_url, namespace, {"deliveries": inert}) as watched:
        yield watched


@pytest.fixture
def broker(infra: Any) -> KafkaBroker:
    return KafkaBroker(infra.kafka_bootstrap)  # never connected: nothing here publishes


def deliveries_of(db: Any, broker: KafkaBroker, namespace: str, monotonic: Monotonic) -> Any:
    """One process's deliveries: its wake-ups on the shared collection."""
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    return MongoDeliveries(
        db["deliveries"], OutboxPublisher(broker), settings, dues=Wakeups(monotonic=monotonic)
    )


async def worker_round(deliveries: MongoDeliveries, now: datetime) -> list[tuple[str, str]]:
    """What the worker's round reads (``Dispatcher.dispatch_due``, then ``Backlog``)."""
    await deliveries.expired(now, State.CLAIMED)
    await deliveries.expired(now, State.SENDING)
    due = await deliveries.due(now, limit=500)
    await deliveries.scheduled_count()
    return due


def plan(contact_id: str) -> PlannedDelivery:
    return PlannedDelivery(
        trigger_event_id=f"trigger-{contact_id}",
        template=Template.COMPLAINT_ACKNOWLEDGEMENT,
        contact_id=contact_id,
        received_at=NOW,
        facts={},
    )


async def test_idle_rounds_send_no_command_and_the_safety_sweep_reads_only_open_ones(
    database, broker, namespace
) -> None:
    db, commands = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, broker, namespace, monotonic)
    assert await worker_round(deliveries, NOW) == []  # at start: the full scan
    assert (commands.to("deliveries"), commands.to("open_deliveries")) == (["find"], [])

    commands.clear()
    for second in range(1, 31):
        monotonic.now += 1
        assert await worker_round(deliveries, NOW + timedelta(seconds=second)) == []
    # 30 idle rounds among 3,000 deliveries: not one command.
    assert (commands.to("deliveries"), commands.to("open_deliveries")) == ([], [])

    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    await worker_round(deliveries, NOW + timedelta(minutes=2))
    # The safety sweep: the (empty) index of open deliveries, not the 3,000 sent ones.
    assert (commands.to("deliveries"), commands.to("open_deliveries")) == ([], ["find"])


async def test_a_scheduled_send_fires_at_its_time_and_an_expired_lease_is_read_by_id(
    database, broker, namespace
) -> None:
    db, commands = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, broker, namespace, monotonic)
    await worker_round(deliveries, NOW)  # the start scan
    new = plan("c-quiet")
    await deliveries.add([new], NOW)
    [(key, contact_id)] = await deliveries.due(NOW, limit=500)
    assert (key, contact_id) == (new.key, "c-quiet")
    claimed = await deliveries.claim(key, NOW, LEASE)
    assert claimed is not None
    morning = NOW + timedelta(hours=11)  # quiet hours over
    await deliveries.record(claimed, {"state": State.SCHEDULED.value, "due_at": morning}, [])
    assert await deliveries.scheduled_count() == 1

    commands.clear()
    monotonic.now += 1
    assert await worker_round(deliveries, morning - timedelta(seconds=1)) == []
    assert commands.to("deliveries") == []  # waiting for the morning: nothing read

    monotonic.now += 1
    assert await worker_round(deliveries, morning) == [(key, "c-quiet")]
    assert commands.to("deliveries") == []  # its wake-up; the claim is the first read
    claimed = await deliveries.claim(key, morning, LEASE)
    assert claimed is not None
    assert await deliveries.scheduled_count() == 0
    await deliveries.mark_sending(claimed, {"channel": "email"})

    commands.clear()
    monotonic.now += 1
    [expired] = await deliveries.expired(morning + LEASE + timedelta(seconds=1), State.SENDING)
    assert expired.plan.key == key
    assert commands.to("deliveries") == ["find"]  # by _id


async def test_a_round_running_while_a_delivery_is_stored_does_not_lose_it(
    database, broker, namespace
) -> None:
    """The intake stores a delivery while the worker's round runs (another task): the round sees
    no delivery yet, and the next one finds it due, not a minute later."""
    db, _ = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, broker, namespace, monotonic)
    await worker_round(deliveries, NOW)  # the start scan
    opened = deliveries.open.opened

    async def round_meanwhile(keys: Any, now: datetime) -> None:
        await opened(keys, now)  # the index entry written, the delivery not yet
        for key, _ in await worker_round(deliveries, NOW):
            assert await deliveries.claim(key, NOW, LEASE) is None

    deliveries.open.opened = round_meanwhile  # type: ignore[method-assign]
    await deliveries.add([plan("c-new")], NOW)
    monotonic.now += 1
    assert await worker_round(deliveries, NOW) == [(plan("c-new").key, "c-new")]


async def test_two_processes_claim_a_delivery_once(database, broker, namespace) -> None:
    """A delivery stored by a process that crashed before sending it: both peers find it in
    their start scan, and exactly one of them claims it."""
    db, _ = database
    monotonic = Monotonic()
    crashed = deliveries_of(db, broker, namespace, monotonic)
    await crashed.add([plan("c-orphan")], NOW)
    peers = [deliveries_of(db, broker, namespace, monotonic) for _ in range(2)]
    found = [await worker_round(peer, NOW) for peer in peers]
    assert found == [[(plan("c-orphan").key, "c-orphan")]] * 2
    claims = await asyncio.gather(*(peer.claim(plan("c-orphan").key, NOW, LEASE) for peer in peers))
    assert sorted(claim is not None for claim in claims) == [False, True]


async def test_the_safety_sweep_finds_what_a_crashed_peer_left_and_forgets_finished_ones(
    database, broker, namespace
) -> None:
    """The peer's sweep reads the open deliveries by ``_id``: the one the crashed process stored
    is found (its time noted), the one it finished is dropped from the index."""
    db, commands = database
    monotonic = Monotonic()
    crashed = deliveries_of(db, broker, namespace, monotonic)
    await worker_round(crashed, NOW)
    peer = deliveries_of(db, broker, namespace, monotonic)
    await worker_round(peer, NOW)  # the peer's start scan: nothing open yet
    await crashed.add([plan("c-open"), plan("c-done")], NOW)
    done = await crashed.claim(plan("c-done").key, NOW, LEASE)
    assert done is not None
    await crashed.record(done, {"state": State.SENT.value}, [])
    assert await db["open_deliveries"].count_documents({}) == 1

    # As if it had crashed between writing the delivery sent and deleting its entry:
    await db["open_deliveries"].insert_one({"_id": plan("c-done").key, "opened_at": NOW})
    commands.clear()
    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    assert await worker_round(peer, NOW) == [(plan("c-open").key, "c-open")]
    assert (commands.to("deliveries"), commands.to("open_deliveries")) == (
        ["find"],
        ["find", "delete"],
    )
    assert [d["_id"] async for d in db["open_deliveries"].find()] == [plan("c-open").key]
