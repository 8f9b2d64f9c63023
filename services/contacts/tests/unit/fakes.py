"""In-memory implementations of every port in ``service_layer/ports.py`` (cosmicpython's
``FakeRepository``): the same contract as the MongoDB adapters, kept in dictionaries."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.domain.duplicates import likely_duplicate_key
from rapport_contacts.domain.errors import ConcurrentUpdate
from rapport_contacts.domain.model import Contact, ContactStatus, ErasedContact
from rapport_contacts.service_layer import reading
from rapport_contacts.service_layer.ports import Events, KeyClaim, PendingErasure, SegmentFilter
from rapport_contacts.service_layer.unit import Ports
from rapport_kit.idempotency import KeptAnswer
from rapport_kit.idempotency.store import Claim
from rapport_schemas import CloudEvent, topics
from tests.support.in_memory import SettableClock


class FakeContactRepository:
    """Versions checked like the conditional write; each contact's outbox kept in a list."""

    def __init__(self) -> None:
        self.contacts: dict[str, Contact | ErasedContact] = {}
        # Events, and the tombstones as (topic, key), in the order they were written.
        self.outbox: dict[str, list[CloudEvent[Any] | tuple[str, str]]] = {}
        self.conflicts_to_raise = 0  # the next N saves lose a race with another replica
        self.kept: dict[str, dict[str, KeptAnswer]] = {}  # stored with the change, like Mongo

    async def add(
        self, contact: Contact, events: Events, *, kept: KeptAnswer | None = None
    ) -> None:
        assert contact.contact_id not in self.contacts, "insert of an existing _id"
        self.contacts[contact.contact_id] = dataclasses.replace(contact, version=1)
        self.outbox[contact.contact_id] = list(events)
        self.kept[contact.contact_id] = {kept.key_id: kept} if kept else {}

    async def get(self, contact_id: str) -> Contact | ErasedContact | None:
        return self.contacts.get(contact_id)

    async def save(
        self,
        contact: Contact | ErasedContact,
        events: Events,
        *,
        replace_outbox: bool = False,
        kept: KeptAnswer | None = None,
        tombstones: Sequence[str] = (),
    ) -> None:
        stored = self.contacts.get(contact.contact_id)
        if self.conflicts_to_raise or stored is None or stored.version != contact.version:
            self.conflicts_to_raise = max(0, self.conflicts_to_raise - 1)
            raise ConcurrentUpdate(contact.contact_id)
        self.contacts[contact.contact_id] = dataclasses.replace(
            contact, version=contact.version + 1
        )
        pending = [] if replace_outbox else self.outbox.get(contact.contact_id, [])
        erasing = [(topics.CONTACTS_PERSONAL, key) for key in tombstones]
        self.outbox[contact.contact_id] = [*pending, *events, *erasing]
        answers = (
            {} if isinstance(contact, ErasedContact) else self.kept.get(contact.contact_id, {})
        )
        self.kept[contact.contact_id] = {**answers, **({kept.key_id: kept} if kept else {})}

    async def find_kept(self, contact_id: str, key_id: str) -> KeptAnswer | None:
        return self.kept.get(contact_id, {}).get(key_id)

    async def likely_duplicates(self, key: str, *, excluding: str) -> list[str]:
        return [
            contact.contact_id
            for contact in self._active()
            if contact.contact_id != excluding and likely_duplicate_key(contact.profile) == key
        ][:20]

    async def in_segment(
        self, segment: SegmentFilter, *, limit: int, after: str | None
    ) -> list[Contact]:
        found = [
            contact
            for contact in sorted(self._active(), key=lambda c: c.contact_id)
            if (after is None or contact.contact_id > after) and _in(segment, contact)
        ]
        return found[:limit]

    async def overdue(self, now: datetime, *, limit: int) -> list[Contact]:
        due = [c for c in self._active() if (d := c.next_due_at()) is not None and d <= now]
        return due[:limit]

    def events(self, contact_id: str) -> list[Any]:
        """The payloads waiting in a contact's outbox, oldest first (v1 copies and personal
        records included, tombstones not)."""
        return [e.data for e in self.outbox.get(contact_id, []) if isinstance(e, CloudEvent)]

    def envelopes(self, contact_id: str) -> list[CloudEvent[Any]]:
        return [e for e in self.outbox.get(contact_id, []) if isinstance(e, CloudEvent)]

    def tombstones(self, contact_id: str) -> list[tuple[str, str]]:
        """(topic, key) of the tombstones waiting in a contact's outbox, in order."""
        return [t for t in self.outbox.get(contact_id, []) if isinstance(t, tuple)]

    def acknowledge(self, contact_id: str) -> None:
        """What the publisher does once Kafka acknowledged the outbox: empties it."""
        self.outbox[contact_id] = []

    async def pending_erasures(
        self, contact_ids: Sequence[str] | None, *, limit: int
    ) -> list[PendingErasure]:
        wanted = self.contacts if contact_ids is None else contact_ids
        erased = [self.contacts.get(contact_id) for contact_id in wanted]
        return [
            PendingErasure(e, acknowledged=not self.outbox.get(e.contact_id))
            for e in erased
            if isinstance(e, ErasedContact) and e.completion_pending
        ][:limit]

    async def erased_since(self, since: datetime) -> bool:
        return any(
            isinstance(c, ErasedContact) and c.erased_at >= since for c in self.contacts.values()
        )

    def _active(self) -> list[Contact]:
        return [
            contact
            for contact in self.contacts.values()
            if isinstance(contact, Contact) and contact.status == ContactStatus.ACTIVE
        ]


def _in(segment: SegmentFilter, contact: Contact) -> bool:
    profile = contact.profile
    wanted = {
        segment.country: profile.country,
        segment.industry: profile.segment.industry,
        segment.region: profile.segment.region,
    }
    if any(value is not None and value != actual for value, actual in wanted.items()):
        return False
    return segment.tag is None or segment.tag in profile.segment.tags


class FakeKeyStore:
    def __init__(self) -> None:
        self.claims: dict[str, KeyClaim] = {}

    async def claim(self, key: str, contact_id: str, now: datetime) -> KeyClaim | None:
        if key in self.claims:
            return self.claims[key]
        self.claims[key] = KeyClaim(key, contact_id, now)
        return None

    async def take_over(self, stale: KeyClaim, contact_id: str, now: datetime) -> bool:
        held = self.claims.get(stale.key)
        if held is None or held.contact_id != stale.contact_id:
            return False
        self.claims[stale.key] = KeyClaim(stale.key, contact_id, now)
        return True

    async def holder(self, key: str) -> KeyClaim | None:
        return self.claims.get(key)

    async def release(self, keys: list[str], contact_id: str) -> None:
        for key in keys:
            if key in self.claims and self.claims[key].contact_id == contact_id:
                del self.claims[key]

    async def release_all(self, contact_ids: list[str]) -> None:
        self.claims = {k: c for k, c in self.claims.items() if c.contact_id not in contact_ids}

    def held_by(self, contact_id: str) -> set[str]:
        return {key for key, claim in self.claims.items() if claim.contact_id == contact_id}


class FakeClaims:
    """The idempotency ``Claims`` port in a dictionary."""

    def __init__(self) -> None:
        self.claims: dict[str, Claim] = {}

    async def add(self, claim: Claim) -> bool:
        return self.claims.setdefault(claim.key_id, claim) is claim

    async def get(self, key_id: str) -> Claim | None:
        return self.claims.get(key_id)

    async def replace(self, held: Claim, claim: Claim) -> bool:
        current = self.claims.get(held.key_id)
        if current is None or current.claimed_at != held.claimed_at:
            return False
        self.claims[held.key_id] = claim
        return True

    async def remove(self, claim: Claim) -> None:
        if (current := self.claims.get(claim.key_id)) and current.claimed_at == claim.claimed_at:
            del self.claims[claim.key_id]

    async def expired(self, now: datetime) -> list[Claim]:
        return [claim for claim in self.claims.values() if claim.expires_at <= now]


class FakePersonalTopic:
    """Counts the roll tombstones appended, per round, to ``partitions`` partitions."""

    def __init__(self, partitions: int = 3) -> None:
        self.partitions = partitions
        self.rolls = 0

    async def roll(self) -> int:
        self.rolls += 1
        return self.partitions


class FakeContactViews:
    def __init__(
        self,
        views: dict[str, dict[str, Any]] | None = None,
        personal: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.views = views or {}
        self.personal_parts = personal or {}

    async def get(self, contact_id: str) -> dict[str, Any] | None:
        return self.views.get(contact_id)

    async def pages(self, page_ids: list[str]) -> list[dict[str, Any]]:
        return [self.views[page] for page in page_ids if page in self.views]

    async def personal(self, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        return {c: self.personal_parts[c] for c in contact_ids if c in self.personal_parts}


async def timeline_of(views: dict[str, dict[str, Any]], contact_id: str) -> list[dict[str, Any]]:
    """The whole timeline of a folded view, newest first, read as the HTTP API reads it."""
    read = await reading.read_view(FakeContactViews(views), contact_id, limit=200)
    assert read is not None and read.next_cursor is None
    return read.timeline


def fake_ports(
    clock: SettableClock,
    *,
    policy: SlaPolicy | None = None,
    produce_v1_events: bool = False,
    erasure_deadline: timedelta = timedelta(hours=24),
) -> Ports:
    """The use cases' ports, every one in memory."""
    return Ports(
        FakeContactRepository(),
        FakeKeyStore(),
        policy or SlaPolicy(),
        clock,
        produce_v1_events=produce_v1_events,
        erasure_deadline=erasure_deadline,
    )


def repository(ports: Ports) -> FakeContactRepository:
    assert isinstance(ports.contacts, FakeContactRepository)
    return ports.contacts


def keys(ports: Ports) -> FakeKeyStore:
    assert isinstance(ports.keys, FakeKeyStore)
    return ports.keys
