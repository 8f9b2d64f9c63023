"""The SLA scheduler against in-memory ports: a missed deadline is one ``SlaBreached``, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from rapport_contacts.adapters.metrics import SlaMetrics
from rapport_contacts.domain.interactions import LogInteraction, breach_event_id
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.service_layer import handlers, registration
from rapport_contacts.service_layer.sla import SlaScheduler
from rapport_contacts.service_layer.unit import Ports
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind, SlaBreached
from services.contacts.tests.unit.fakes import fake_ports, repository
from tests.support.in_memory import SettableClock

MONDAY = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)  # 12:00 in Istanbul
TURKEY = {"country": "TR", "time_zone": "Europe/Istanbul", "language": "tr-TR", "currency": "TRY"}


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(MONDAY)


@pytest.fixture
def ports(clock: SettableClock) -> Ports:
    return fake_ports(clock)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def scheduler(ports: Ports, registry: CollectorRegistry) -> SlaScheduler:
    return SlaScheduler(ports, SlaMetrics.register(registry), interval=60)


async def inbound_email(ports: Ports) -> tuple[str, str, datetime]:
    profile = ProfileInput.model_validate({"name": "Ayşe Yılmaz", **TURKEY}).to_profile()
    contact = (await registration.register(ports, profile, (), referred_by=None)).contact
    command = LogInteraction(Channel.EMAIL, Direction.INBOUND, InteractionKind.INQUIRY, MONDAY)
    logged = await handlers.record_interaction(ports, contact.contact_id, command)
    assert logged.response_due_at is not None
    return contact.contact_id, logged.interaction_id, logged.response_due_at


def breaches(ports: Ports, contact_id: str) -> list[SlaBreached]:
    return [e for e in repository(ports).events(contact_id) if isinstance(e, SlaBreached)]


async def test_before_the_deadline_nothing_is_breached(
    ports: Ports, clock: SettableClock, scheduler: SlaScheduler
) -> None:
    contact_id, _, due = await inbound_email(ports)
    clock.now = due - timedelta(seconds=1)

    assert await scheduler.check_once() == 0
    assert breaches(ports, contact_id) == []


async def test_a_missed_deadline_is_one_breach_with_a_derived_id_and_never_twice(
    ports: Ports, clock: SettableClock, scheduler: SlaScheduler, registry: CollectorRegistry
) -> None:
    contact_id, interaction_id, due = await inbound_email(ports)
    clock.now = due

    assert await scheduler.check_once() == 1
    clock.now = due + timedelta(hours=1)
    assert await scheduler.check_once() == 0

    [breach] = breaches(ports, contact_id)
    assert (breach.interaction_id, breach.channel, breach.received_at, breach.due_at) == (
        interaction_id,
        Channel.EMAIL,
        MONDAY,
        due,
    )
    [envelope] = [e for e in repository(ports).outbox[contact_id] if e.data == breach]
    assert envelope.id == breach_event_id(interaction_id)
    assert registry.get_sample_value("rapport_contacts_sla_checks_total") == 2
    breached = registry.get_sample_value(
        "rapport_contacts_sla_breaches_total", {"channel": "email"}
    )
    assert breached == 1


async def test_a_breach_that_loses_a_race_is_decided_again_next_round(
    ports: Ports, clock: SettableClock, scheduler: SlaScheduler
) -> None:
    contact_id, _, due = await inbound_email(ports)
    clock.now = due
    repository(ports).conflicts_to_raise = 1

    assert await scheduler.check_once() == 0
    assert breaches(ports, contact_id) == []
    assert await scheduler.check_once() == 1
    assert len(breaches(ports, contact_id)) == 1


async def test_an_answered_interaction_is_never_breached(
    ports: Ports, clock: SettableClock, scheduler: SlaScheduler
) -> None:
    contact_id, interaction_id, due = await inbound_email(ports)
    reply = LogInteraction(
        Channel.EMAIL,
        Direction.OUTBOUND,
        InteractionKind.INQUIRY,
        MONDAY + timedelta(minutes=5),
        in_reply_to=interaction_id,
    )
    await handlers.record_interaction(ports, contact_id, reply)
    clock.now = due + timedelta(days=3)

    assert await scheduler.check_once() == 0
    assert breaches(ports, contact_id) == []
