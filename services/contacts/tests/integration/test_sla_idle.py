"""Idle, the SLA scheduler asks the store nothing, whatever the number of contacts: a round reads
only the contacts whose deadline, as this process wrote it, has passed, by ``_id``. The whole
collection is scanned once, at start (FerretDB answers the overdue filter by reading every
contact, so a scan every round made an idle store's cost grow with the contacts); the safety sweep
once a minute reads ``sla_clocks`` (the contacts that may have a clock running) and those by
``_id``. The erasure completion's minute look reads ``pending_erasures`` the same way."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from rapport_contacts.adapters.keys import MongoKeyStore
from rapport_contacts.adapters.metrics import SlaMetrics
from rapport_contacts.adapters.repository import MongoContactRepository
from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.domain.interactions import LogInteraction
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.service_layer import handlers, lifecycle, registration
from rapport_contacts.service_layer.erasure import FULL_INTERVAL_SECONDS, ErasureCompletion
from rapport_contacts.service_layer.sla import SlaScheduler
from rapport_contacts.service_layer.unit import Ports
from rapport_kit.outbox import OutboxPublisher
from rapport_kit.settings import ServiceSettings
from rapport_kit.wakeups import FULL_SCAN_INTERVAL, Wakeups
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind
from tests.support.commands import Commands, Monotonic, watched_database

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul
TURKEY = {"country": "TR", "time_zone": "Europe/Istanbul", "language": "tr-TR", "currency": "TRY"}
INERT_CONTACTS = 3_000


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def database(infra: Any, namespace: str) -> AsyncIterator[tuple[Any, Commands]]:
    # Contacts without a running clock: what most of a quiet collection holds.
    inert = [
        {"_id": f"inert-{n}", "status": "active", "sla_next_due_at": None, "version": 1}
        for n in range(INERT_CONTACTS)
    ]
    async with watched_database(infra.mongo_url, namespace, {"contacts": inert}) as watched:
        yield watched


@pytest.fixture
async def broker(infra: Any) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(infra.kafka_bootstrap, acks="all")
    await broker.connect()
    yield broker
    await broker.stop()


def scheduler_of(
    db: Any, broker: KafkaBroker, namespace: str, monotonic: Monotonic
) -> tuple[SlaScheduler, Ports, Clock]:
    """One process's scheduler: its repository and wake-ups on the shared collection."""
    settings = ServiceSettings(topic_prefix=f"{namespace}.")
    clock = Clock()
    contacts = MongoContactRepository(
        db["contacts"], OutboxPublisher(broker), settings, deadlines=Wakeups(monotonic=monotonic)
    )
    ports = Ports(contacts, MongoKeyStore(db["contact_keys"]), SlaPolicy(), clock)
    metrics = SlaMetrics.register(CollectorRegistry())
    return SlaScheduler(ports, metrics, interval=1.0), ports, clock


async def inbound_email(ports: Ports) -> tuple[str, datetime]:
    profile = ProfileInput.model_validate({"name": "Ayşe Yılmaz", **TURKEY}).to_profile()
    contact = (await registration.register(ports, profile, (), referred_by=None)).contact
    command = LogInteraction(Channel.EMAIL, Direction.INBOUND, InteractionKind.INQUIRY, MONDAY)
    logged = await handlers.record_interaction(ports, contact.contact_id, command)
    assert logged.response_due_at is not None
    return contact.contact_id, logged.response_due_at


async def test_idle_rounds_send_no_command_and_the_safety_sweep_reads_only_running_clocks(
    database, broker, namespace
) -> None:
    db, commands = database
    monotonic = Monotonic()
    scheduler, _, _ = scheduler_of(db, broker, namespace, monotonic)
    assert await scheduler.check_once() == 0  # at start: the full scan
    assert (commands.to("contacts"), commands.to("sla_clocks")) == (["find"], [])

    commands.clear()
    for _ in range(30):
        monotonic.now += scheduler.interval
        assert await scheduler.check_once() == 0
    # 30 idle rounds among 3,000 contacts: not one command.
    assert (commands.to("contacts"), commands.to("sla_clocks")) == ([], [])

    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    await scheduler.check_once()
    # The safety sweep: the (empty) list of running clocks, not the 3,000 contacts.
    assert (commands.to("contacts"), commands.to("sla_clocks")) == ([], ["find"])


async def test_the_safety_sweep_reads_running_clocks_by_id_and_drops_stopped_ones(
    database, broker, namespace
) -> None:
    db, commands = database
    monotonic = Monotonic()
    scheduler, ports, _ = scheduler_of(db, broker, namespace, monotonic)
    await scheduler.check_once()
    running, due = await inbound_email(ports)
    stopped, _ = await inbound_email(ports)
    contact = await ports.contacts.get(stopped)
    await ports.contacts.save(dataclasses.replace(contact, clocks=()), [])  # type: ignore[type-var]
    assert await db["sla_clocks"].count_documents({}) == 2

    peer, _, peer_clock = scheduler_of(db, broker, namespace, monotonic)
    await peer.check_once()  # the peer's start scan
    commands.clear()
    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    peer_clock.now = due + timedelta(seconds=1)
    assert await peer.check_once() == 1  # the running clock, breached by the peer
    assert commands.to("sla_clocks")[:2] == ["find", "delete"]
    assert [d["_id"] async for d in db["sla_clocks"].find()] == [running]


async def test_a_deadline_written_here_is_read_by_id_when_it_passes(
    database, broker, namespace
) -> None:
    db, commands = database
    monotonic = Monotonic()
    scheduler, ports, clock = scheduler_of(db, broker, namespace, monotonic)
    await scheduler.check_once()  # the start scan, before the contact exists
    contact_id, due = await inbound_email(ports)

    commands.clear()
    clock.now = due - timedelta(seconds=1)
    monotonic.now += 1
    assert await scheduler.check_once() == 0
    assert commands.to("contacts") == []  # not due yet: nothing read

    clock.now = due + timedelta(seconds=1)
    monotonic.now += 1
    assert await scheduler.check_once() == 1
    # The contact read by _id, then the versioned write marking the breach (and its outbox).
    assert commands.to("contacts")[:2] == ["find", "findAndModify"]
    contact = await db["contacts"].find_one({"_id": contact_id})
    assert contact["sla_next_due_at"] is None

    commands.clear()
    monotonic.now += 1
    assert await scheduler.check_once() == 0
    assert commands.to("contacts") == []  # breached: nothing left to look at


async def test_a_peer_breaches_once_what_a_crashed_process_wrote(
    database, broker, namespace
) -> None:
    """The process that wrote the deadline is gone (its wake-up with it): a peer's full scan
    finds the clock, and the two peers mark it breached once between them."""
    db, _ = database
    monotonic = Monotonic()
    _, ports, _ = scheduler_of(db, broker, namespace, monotonic)
    contact_id, due = await inbound_email(ports)
    peers = [scheduler_of(db, broker, namespace, monotonic) for _ in range(2)]
    for _, _, clock in peers:
        clock.now = due + timedelta(seconds=1)
    breached = await asyncio.gather(*(scheduler.check_once() for scheduler, _, _ in peers))
    assert sorted(breached) == [0, 1]
    contact = await ports.contacts.get(contact_id)
    assert contact is not None
    [clock] = contact.clocks  # type: ignore[union-attr]
    assert clock.breached


async def test_the_erasure_completions_minute_look_reads_only_pending_erasures(
    database, broker, namespace
) -> None:
    """The completion's first look scans the contacts; the later ones, once a minute, read the
    ``pending_erasures`` index and those contacts by ``_id``: an erasure whose process crashed
    before its ``ErasureCompleted`` is completed by a peer, and its entry then goes."""
    db, commands = database
    monotonic = Monotonic()
    _, ports, _ = scheduler_of(db, broker, namespace, monotonic)
    completion = ErasureCompletion(ports, monotonic=monotonic)
    assert await completion.complete_once() == 0  # the first look: the full scan
    assert (commands.to("contacts"), commands.to("pending_erasures")) == (["find"], [])

    commands.clear()
    for _ in range(30):
        monotonic.now += 1
        assert await completion.complete_once() == 0
    assert (commands.to("contacts"), commands.to("pending_erasures")) == ([], [])

    monotonic.now += FULL_INTERVAL_SECONDS
    assert await completion.complete_once() == 0
    # The minute's look: the (empty) index, not the 3,000 contacts.
    assert (commands.to("contacts"), commands.to("pending_erasures")) == ([], ["find"])

    _, crashed, _ = scheduler_of(db, broker, namespace, Monotonic())
    contact_id, _ = await inbound_email(crashed)
    await lifecycle.erase(crashed, contact_id)  # then its process dies
    assert [d["_id"] async for d in db["pending_erasures"].find()] == [contact_id]
    commands.clear()
    monotonic.now += FULL_INTERVAL_SECONDS
    assert await completion.complete_once() == 1
    assert commands.to("pending_erasures") == ["find"]
    assert commands.to("contacts")[0] == "find"  # the entry's contact, by _id
    erased = await db["contacts"].find_one({"_id": contact_id})
    assert "erasure_pending" not in erased and erased["erasure_completed_at"] is not None

    monotonic.now += FULL_INTERVAL_SECONDS
    assert await completion.complete_once() == 0
    assert await db["pending_erasures"].count_documents({}) == 0  # completed: its entry went
