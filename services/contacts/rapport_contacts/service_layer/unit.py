"""What every use case shares: its ports, loading a contact, and a retried optimistic change."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.domain.errors import ConcurrentUpdate, ContactErasedError, ContactNotFound
from rapport_contacts.domain.migration import v1_copy
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.service_layer.contention import ContactLocks, after_conflict
from rapport_contacts.service_layer.ports import ContactRepository, Events, KeyStore
from rapport_kit.clock import Clock, utc_now
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.contacts import Actor, ActorKind, ContactEvent, ContactProfile

SOURCE = "/rapport/contacts"
# An optimistic write that loses a race (another replica wrote the contact) is decided again on
# fresh state after a jittered pause; only after every attempt does a 409 reach the caller.
ATTEMPTS = 8
MAX_MERGE_HOPS = 10

Decision = tuple[Contact, Events]


@dataclass(frozen=True)
class Ports:
    contacts: ContactRepository
    keys: KeyStore
    policy: SlaPolicy
    clock: Clock = utc_now
    # A key claimed this recently whose contact is not written yet belongs to a request in flight.
    claim_grace: timedelta = timedelta(seconds=30)
    locks: ContactLocks = field(default_factory=ContactLocks)
    # While subscribers migrate: each v2 event that has a v1 is followed by its v1 copy.
    produce_v1_events: bool = False
    # ``ErasureCompleted.deadline_at`` is the erasure's time plus this.
    erasure_deadline: timedelta = timedelta(hours=24)
    # Contacts erased here whose ``ErasureCompleted`` is not written yet (``erasure``).
    erasures_due: set[str] = field(default_factory=set)


def envelope(
    data: EventData, now: datetime, *, event_id: str | None = None, actor: Actor | None = None
) -> CloudEvent[Any]:
    """The event as published, naming ``actor`` (who made the change) when known."""
    if actor is not None and isinstance(data, ContactEvent):
        data = data.model_copy(update={"actor": actor})
    return wrap(data, source=SOURCE, time=now, event_id=event_id)


def publications(
    ports: Ports,
    events: Sequence[EventData],
    now: datetime,
    *,
    profile: ContactProfile,
    actor: Actor | None = None,
) -> list[CloudEvent[Any]]:
    """The envelopes of one change's ``events``, in order; with ``produce_v1_events`` each v2
    event of a type that has a v1 is directly followed by its v1 copy (its own id, the
    ``rapportcopyof`` extension naming the v2's), personal fields filled from ``profile`` (the
    contact's after the change) and the change's own records."""
    published: list[CloudEvent[Any]] = []
    for data in events:
        event = envelope(data, now, actor=actor)
        published.append(event)
        copy = v1_copy(event.data, profile=profile, published_with=events)
        if ports.produce_v1_events and copy is not None:
            published.append(wrap(copy, source=SOURCE, time=now, copy_of=event.id))
    return published


def to_the_millisecond(moment: datetime) -> datetime:
    """``moment`` as the store keeps it (BSON dates are milliseconds): a time published and also
    stored (an erasure's) is then the same in both, and in an event repeating it later."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def acting(actor: Actor | None, agent_id: str | None) -> Actor | None:
    """An agent who logged or resolved something is its actor; otherwise the caller."""
    return Actor(kind=ActorKind.AGENT, id=agent_id) if agent_id else actor


async def load(ports: Ports, contact_id: str) -> Contact:
    """The contact (active or merged), or the refusal that explains why there is none."""
    found = await ports.contacts.get(contact_id)
    if found is None:
        raise ContactNotFound(contact_id)
    if isinstance(found, ErasedContact):
        raise ContactErasedError(contact_id, found.erased_at)
    return found


async def survivor_of(ports: Ports, contact: Contact) -> Contact:
    """The contact a merged one lives on in (itself when not merged)."""
    for _ in range(MAX_MERGE_HOPS):
        if contact.merged_into is None:
            break
        try:
            contact = await load(ports, contact.merged_into)
        except (ContactNotFound, ContactErasedError):
            break
    return contact


async def change(
    ports: Ports,
    contact_id: str,
    decide: Callable[[Contact], Decision],
    *,
    kept: Callable[[], KeptAnswer | None] = lambda: None,
) -> Contact:
    """Load, decide, write conditionally; on a concurrent write decide again on fresh state.

    ``kept`` (called after each decision) is a keyed request's answer: written with the change,
    even a change of nothing, so the retry finds it."""
    async with ports.locks.turn(contact_id):
        for attempt in range(ATTEMPTS):
            contact = await load(ports, contact_id)
            changed, events = decide(contact)
            answer = kept()
            if changed == contact and not events and answer is None:
                return contact
            try:
                await ports.contacts.save(changed, events, kept=answer)
            except ConcurrentUpdate:
                await after_conflict(attempt)
                continue
            return changed
        raise ConcurrentUpdate(contact_id)
