"""Personal data on its own records (issue 20), against in-memory ports: v2 events carry facts
only, each personal item is a record keyed for the compacted personal topic, v1 copies during the
migration, and an erasure that tombstones every key and then completes once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from rapport_contacts.domain.interactions import LogInteraction
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.service_layer import handlers, lifecycle, registration
from rapport_contacts.service_layer.erasure import ErasureCompletion, SegmentRolls
from rapport_contacts.service_layer.unit import Ports, load
from rapport_contacts.settings import ContactsSettings
from rapport_schemas import topics
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    Direction,
    ErasureCompleted,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
    PurchaseRecorded,
)
from services.contacts.tests.unit.fakes import FakePersonalTopic, fake_ports, repository
from tests.support.in_memory import SettableClock

NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
AYSE = {
    "name": "Ayşe Yılmaz",
    "email": "ayse.yilmaz@example.com.tr",
    "phone": "+905321234567",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
    "company": "Örnek Ticaret",
}
SUMMARY = "Müşteri faturadaki çift ödemeden şikayetçi"
PERSONAL_VALUES = ("Ayşe", "ayse.yilmaz", "+905321234567", "Örnek", "faturadaki")
DEADLINE = timedelta(hours=6)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def ports(clock: SettableClock) -> Ports:
    return fake_ports(clock, erasure_deadline=DEADLINE)


async def register(ports: Ports) -> Contact:
    profile = ProfileInput.model_validate(AYSE).to_profile()
    return (await registration.register(ports, profile, (), referred_by=None)).contact


async def call_with_summary(ports: Ports, contact_id: str) -> InteractionLogged:
    command = LogInteraction(
        Channel.PHONE, Direction.INBOUND, InteractionKind.COMPLAINT, NOW, summary=SUMMARY
    )
    return await handlers.record_interaction(ports, contact_id, command)


async def test_a_registration_publishes_facts_as_the_event_and_the_rest_as_a_personal_record(
    ports: Ports,
) -> None:
    contact = await register(ports)
    contact_id = contact.contact_id

    registered, personal = repository(ports).envelopes(contact_id)
    assert isinstance(registered.data, ContactRegistered)
    assert registered.type == "rapport.contacts.contact_registered.v2"
    assert not any(value in registered.model_dump_json() for value in PERSONAL_VALUES)
    assert isinstance(personal.data, ContactPersonalData)
    assert (personal.partitionkey, personal.subject) == (contact_id, contact_id)
    assert (personal.data.name, personal.data.email, personal.data.company) == (
        "Ayşe Yılmaz",
        "ayse.yilmaz@example.com.tr",
        "Örnek Ticaret",
    )
    assert type(personal.data).topic == topics.CONTACTS_PERSONAL
    assert (await load(ports, contact_id)).personal_keys == (contact_id,)


async def test_a_personal_record_follows_an_update_only_when_a_personal_field_changed(
    ports: Ports,
) -> None:
    contact_id = (await register(ports)).contact_id

    await registration.update(ports, contact_id, {"language": "en-GB"})
    await registration.update(ports, contact_id, {"phone": "+905329876543"})

    _, _, facts, phone, personal = repository(ports).events(contact_id)
    assert isinstance(facts, ContactUpdated) and facts.changed_fields == ("language",)
    assert isinstance(phone, ContactUpdated) and phone.changed_fields == ("phone",)
    updates = [
        e.model_dump_json()
        for e in repository(ports).envelopes(contact_id)
        if isinstance(e.data, ContactUpdated)
    ]
    assert not [j for j in updates if "+905329876543" in j or "ayse.yilmaz" in j]
    # The whole current personal part, not only the changed field.
    assert isinstance(personal, ContactPersonalData)
    assert (personal.phone, personal.email) == ("+905329876543", "ayse.yilmaz@example.com.tr")
    assert (await load(ports, contact_id)).personal_keys == (contact_id,)


async def test_a_summary_is_its_own_record_under_the_interactions_key(ports: Ports) -> None:
    contact_id = (await register(ports)).contact_id

    logged = await call_with_summary(ports, contact_id)
    silent = await handlers.record_interaction(
        ports,
        contact_id,
        LogInteraction(Channel.EMAIL, Direction.OUTBOUND, InteractionKind.SUPPORT, NOW),
    )

    envelopes = repository(ports).envelopes(contact_id)[2:]
    assert [type(e.data) for e in envelopes] == [
        InteractionLogged,
        InteractionSummary,
        InteractionLogged,
    ]
    event, summary, other = envelopes
    assert event.data.has_summary and not other.data.has_summary  # type: ignore[attr-defined]
    assert SUMMARY not in event.model_dump_json()
    assert '"summary"' not in event.model_dump_json()
    key = f"{contact_id}:interaction:{logged.interaction_id}"
    assert (summary.partitionkey, summary.subject) == (key, contact_id)
    assert summary.data == InteractionSummary(
        contact_id=contact_id,
        interaction_id=logged.interaction_id,
        summary=SUMMARY,
        occurred_at=NOW,
    )
    assert silent.has_summary is False
    assert (await load(ports, contact_id)).personal_keys == (contact_id, key)


async def test_no_v1_copies_unless_the_migration_setting_asks_for_them(ports: Ports) -> None:
    contact_id = (await register(ports)).contact_id
    await call_with_summary(ports, contact_id)

    envelopes = repository(ports).envelopes(contact_id)
    assert all(e.rapportcopyof is None for e in envelopes)
    assert not any(isinstance(e.data, ContactRegisteredV1 | InteractionLoggedV1) for e in envelopes)


async def test_while_migrating_each_v2_event_is_followed_by_its_v1_copy(
    clock: SettableClock,
) -> None:
    ports = fake_ports(clock, produce_v1_events=True)
    contact_id = (await register(ports)).contact_id
    await registration.update(ports, contact_id, {"email": "ayse@example.com.tr"})
    await call_with_summary(ports, contact_id)
    await handlers.record_purchase(
        ports, contact_id, amount=Decimal(1), currency="TRY", occurred_at=None, order_ref=None
    )

    envelopes = repository(ports).envelopes(contact_id)
    assert [type(e.data) for e in envelopes] == [
        ContactRegistered,
        ContactRegisteredV1,
        ContactPersonalData,
        ContactUpdated,
        ContactUpdatedV1,
        ContactPersonalData,
        InteractionLogged,
        InteractionLoggedV1,
        InteractionSummary,
        PurchaseRecorded,
    ]
    for original, copy in [(0, 1), (3, 4), (6, 7)]:
        v2, v1 = envelopes[original], envelopes[copy]
        assert v1.rapportcopyof == v2.id and v1.id != v2.id
        assert (v1.subject, v1.partitionkey) == (v2.subject, v2.partitionkey)
        assert v1.type.endswith(".v1") and v2.type.endswith(".v2")
    registered_v1, updated_v1 = envelopes[1].data, envelopes[4].data
    assert isinstance(registered_v1, ContactRegisteredV1)
    assert registered_v1.profile.email == "ayse.yilmaz@example.com.tr"
    assert isinstance(updated_v1, ContactUpdatedV1)
    assert updated_v1.profile.email == "ayse@example.com.tr"
    logged_v1 = envelopes[7].data
    assert isinstance(logged_v1, InteractionLoggedV1) and logged_v1.summary == SUMMARY
    assert [e.rapportcopyof is None for e in envelopes].count(False) == 3


async def test_erasure_tombstones_every_key_in_the_same_write_and_then_completes_once(
    ports: Ports, clock: SettableClock
) -> None:
    contact_id = (await register(ports)).contact_id
    first = await call_with_summary(ports, contact_id)
    second = await call_with_summary(ports, contact_id)
    clock.now = erased_at = NOW + timedelta(hours=1)

    await lifecycle.erase(ports, contact_id)

    # One write: ContactErased replaces the pending outbox, then a tombstone per key.
    assert [type(e) for e in repository(ports).events(contact_id)] == [ContactErased]
    assert repository(ports).tombstones(contact_id) == [
        (topics.CONTACTS_PERSONAL, contact_id),
        (topics.CONTACTS_PERSONAL, f"{contact_id}:interaction:{first.interaction_id}"),
        (topics.CONTACTS_PERSONAL, f"{contact_id}:interaction:{second.interaction_id}"),
    ]
    completion = ErasureCompletion(ports)
    assert await completion.complete_once() == 0  # Kafka has not acknowledged them yet
    assert await completion.complete_once() == 0

    repository(ports).acknowledge(contact_id)
    clock.now = completed_at = erased_at + timedelta(seconds=3)
    assert await completion.complete_once() == 1
    assert await completion.complete_once() == 0

    [completed] = repository(ports).events(contact_id)
    assert completed == ErasureCompleted(
        contact_id=contact_id,
        erased_at=erased_at,
        completed_at=completed_at,
        deadline_at=erased_at + DEADLINE,
    )
    stored = await ports.contacts.get(contact_id)
    assert stored == ErasedContact(contact_id, erased_at, stored.version, False, completed_at)  # type: ignore[union-attr]
    await lifecycle.erase(ports, contact_id)  # erasing again: nothing new
    assert [type(e) for e in repository(ports).events(contact_id)] == [ErasureCompleted]


async def test_a_completion_left_by_a_crash_is_written_by_the_next_process(
    ports: Ports, clock: SettableClock
) -> None:
    contact_id = (await register(ports)).contact_id
    await lifecycle.erase(ports, contact_id)
    repository(ports).acknowledge(contact_id)  # the tombstones reached Kafka, then the crash

    restarted = Ports(
        ports.contacts, ports.keys, ports.policy, clock, erasure_deadline=DEADLINE
    )  # nothing in memory: only the document says the completion is due
    assert restarted.erasures_due == set()
    assert await ErasureCompletion(restarted).complete_once() == 1
    [completed] = repository(ports).events(contact_id)
    assert isinstance(completed, ErasureCompleted) and completed.contact_id == contact_id


async def test_segments_are_rolled_only_while_an_erasure_is_within_the_deadline(
    ports: Ports, clock: SettableClock
) -> None:
    topic = FakePersonalTopic(partitions=3)
    rolls = SegmentRolls(ports, topic)
    contact_id = (await register(ports)).contact_id
    assert await rolls.roll_once() == 0

    await lifecycle.erase(ports, contact_id)
    clock.now = NOW + DEADLINE - timedelta(seconds=1)
    assert await rolls.roll_once() == 3
    clock.now = NOW + DEADLINE + timedelta(seconds=1)
    assert await rolls.roll_once() == 0
    assert topic.rolls == 1


@pytest.mark.parametrize("hours", [0, -1, 24.5, 48])
def test_the_erasure_deadline_is_positive_and_at_most_a_day(hours: float) -> None:
    with pytest.raises(ValidationError):
        ContactsSettings(erasure_deadline_hours=hours)


def test_the_erasure_deadline_may_be_a_fraction_for_tests_and_defaults_to_a_day() -> None:
    assert ContactsSettings(erasure_deadline_hours=0.001).erasure_deadline_hours == 0.001
    defaults = ContactsSettings()
    assert (defaults.erasure_deadline_hours, defaults.produce_v1_events) == (24, False)


async def test_no_personal_value_is_logged_on_the_way(
    ports: Ports, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    contact_id = (await register(ports)).contact_id
    await registration.update(ports, contact_id, {"phone": "+905329876543"})
    await call_with_summary(ports, contact_id)
    await lifecycle.erase(ports, contact_id)
    repository(ports).acknowledge(contact_id)
    await ErasureCompletion(ports).complete_once()

    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "erasures completed" in logged  # the log was captured
    assert not [value for value in (*PERSONAL_VALUES, "+905329876543") if value in logged]
