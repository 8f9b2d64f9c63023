"""Merging and erasure against in-memory ports: idempotent steps, nothing personal left behind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport_contacts.domain.errors import ContactErasedError, ContactNotFound, InvalidMerge
from rapport_contacts.domain.interactions import LogInteraction
from rapport_contacts.domain.model import Contact, ContactStatus, ErasedContact
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.service_layer import handlers, lifecycle, registration
from rapport_contacts.service_layer.unit import Ports, load
from rapport_schemas import topics
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
)
from services.contacts.tests.unit.fakes import fake_ports, keys, repository
from tests.support.in_memory import SettableClock

NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
REGISTRATION = [ContactRegistered, ContactPersonalData]
TURKEY = {"country": "TR", "time_zone": "Europe/Istanbul", "language": "tr-TR", "currency": "TRY"}


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def ports(clock: SettableClock) -> Ports:
    return fake_ports(clock)


async def register(ports: Ports, email: str) -> Contact:
    profile = ProfileInput.model_validate(
        {"name": "Ayşe Yılmaz", "email": email, **TURKEY}
    ).to_profile()
    return (await registration.register(ports, profile, (), referred_by=None)).contact


async def complaint(ports: Ports, contact_id: str, case_id: str) -> InteractionLogged:
    command = LogInteraction(
        Channel.EMAIL, Direction.INBOUND, InteractionKind.COMPLAINT, NOW, case_id=case_id
    )
    return await handlers.record_interaction(ports, contact_id, command)


async def test_a_merge_marks_the_duplicate_and_the_survivor_takes_its_cases_and_clocks(
    ports: Ports,
) -> None:
    survivor = await register(ports, "a@example.com")
    duplicate = await register(ports, "b@example.com")
    logged = await complaint(ports, duplicate.contact_id, "case_1")

    merged = await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)

    assert merged.absorbed == (duplicate.contact_id,)
    assert [c.case_id for c in merged.open_cases] == ["case_1"]
    assert [c.interaction_id for c in merged.clocks] == [logged.interaction_id]
    marked = await load(ports, duplicate.contact_id)
    assert (marked.status, marked.merged_into) == (ContactStatus.MERGED, survivor.contact_id)
    event = repository(ports).events(duplicate.contact_id)[-1]
    assert isinstance(event, ContactsMerged)
    assert (event.contact_id, event.survivor_id, event.merged_at) == (
        duplicate.contact_id,
        survivor.contact_id,
        NOW,
    )
    assert [type(e) for e in repository(ports).events(survivor.contact_id)] == REGISTRATION


async def test_repeating_a_merge_changes_nothing_and_emits_nothing_new(ports: Ports) -> None:
    survivor = await register(ports, "a@example.com")
    duplicate = await register(ports, "b@example.com")
    await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)
    stored = dict(repository(ports).contacts)
    outbox = {k: list(v) for k, v in repository(ports).outbox.items()}

    again = await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)

    assert again.absorbed == (duplicate.contact_id,)
    assert repository(ports).contacts == stored
    assert repository(ports).outbox == outbox


async def test_a_merge_interrupted_after_the_first_step_is_completed_by_repeating_it(
    ports: Ports,
) -> None:
    survivor = await register(ports, "a@example.com")
    duplicate = await register(ports, "b@example.com")
    # Step 1 done, then the process died before the survivor absorbed the duplicate.
    original_save = repository(ports).save
    calls = 0

    async def crash_on_second_save(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("process died")
        await original_save(*args, **kwargs)

    repository(ports).save = crash_on_second_save  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)
    repository(ports).save = original_save  # type: ignore[method-assign]
    assert (await load(ports, survivor.contact_id)).absorbed == ()

    completed = await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)

    assert completed.absorbed == (duplicate.contact_id,)
    merges = [
        e for e in repository(ports).events(duplicate.contact_id) if isinstance(e, ContactsMerged)
    ]
    assert len(merges) == 1


async def test_a_contact_cannot_be_merged_into_itself(ports: Ports) -> None:
    contact = await register(ports, "a@example.com")
    with pytest.raises(InvalidMerge):
        await lifecycle.merge(ports, contact.contact_id, contact.contact_id)
    assert [type(e) for e in repository(ports).events(contact.contact_id)] == REGISTRATION


async def test_erasure_erases_the_absorbed_contacts_releases_keys_and_drops_pending_events(
    ports: Ports, clock: SettableClock
) -> None:
    survivor = await register(ports, "a@example.com")
    duplicate = await register(ports, "b@example.com")
    await lifecycle.merge(ports, survivor.contact_id, duplicate.contact_id)
    clock.now = NOW + timedelta(hours=1)

    erased = await lifecycle.erase(ports, survivor.contact_id)

    assert erased == ErasedContact(
        survivor.contact_id, clock.now, erased.version, completion_pending=True
    )
    for contact_id in (survivor.contact_id, duplicate.contact_id):
        stored = await ports.contacts.get(contact_id)
        assert isinstance(stored, ErasedContact)
        assert stored.erased_at == clock.now
        # The outbox is replaced: the pending registration (with personal data) is gone.
        [event] = repository(ports).events(contact_id)
        assert isinstance(event, ContactErased)
        assert (event.contact_id, event.erased_at) == (contact_id, clock.now)
        # ... and its profile record on the personal topic gets a tombstone.
        assert repository(ports).tombstones(contact_id) == [(topics.CONTACTS_PERSONAL, contact_id)]
    assert keys(ports).claims == {}


async def test_erasing_twice_changes_nothing_and_reads_are_gone(ports: Ports) -> None:
    contact = await register(ports, "a@example.com")
    first = await lifecycle.erase(ports, contact.contact_id)
    outbox = list(repository(ports).outbox[contact.contact_id])

    again = await lifecycle.erase(ports, contact.contact_id)

    assert (again.contact_id, again.erased_at) == (first.contact_id, first.erased_at)
    assert repository(ports).outbox[contact.contact_id] == outbox
    with pytest.raises(ContactErasedError):
        await load(ports, contact.contact_id)


async def test_erasing_an_unknown_contact_is_not_found(ports: Ports) -> None:
    with pytest.raises(ContactNotFound):
        await lifecycle.erase(ports, "ct_nobody")
