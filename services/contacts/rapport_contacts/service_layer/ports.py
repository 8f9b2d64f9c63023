"""What the use cases need from the world; ``adapters/`` implements these on MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas import CloudEvent

# What a write appends to the contact's outbox: events, v1 copies, personal records.
Events = Sequence[CloudEvent[Any]]


@dataclass(frozen=True)
class SegmentFilter:
    country: str | None = None
    industry: str | None = None
    region: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class PendingErasure:
    """An erased contact whose ``ErasureCompleted`` is still to come; ``acknowledged``: nothing
    of its outbox (tombstones included) is left unacknowledged by Kafka."""

    erased: ErasedContact
    acknowledged: bool


class ContactRepository(Protocol):
    """Contacts with their pending events; ``save`` raises ``ConcurrentUpdate`` on a stale
    version (optimistic concurrency). ``kept`` is a keyed request's answer, stored by the same
    write as the change (``rapport_kit.idempotency``). ``tombstones`` are keys of the personal
    topic the same write erases, after ``events``."""

    async def add(
        self, contact: Contact, events: Events, *, kept: KeptAnswer | None = None
    ) -> None: ...

    async def get(self, contact_id: str) -> Contact | ErasedContact | None: ...

    async def save(
        self,
        contact: Contact | ErasedContact,
        events: Events,
        *,
        replace_outbox: bool = False,
        kept: KeptAnswer | None = None,
        tombstones: Sequence[str] = (),
    ) -> None: ...

    async def pending_erasures(
        self, contact_ids: Sequence[str] | None, *, limit: int
    ) -> list[PendingErasure]:
        """Erasures not completed yet: of ``contact_ids``, or (``None``) any."""
        ...

    async def erased_since(self, since: datetime) -> bool:
        """Whether a contact was erased at ``since`` or later."""
        ...

    async def likely_duplicates(self, key: str, *, excluding: str) -> list[str]: ...

    async def in_segment(
        self, segment: SegmentFilter, *, limit: int, after: str | None
    ) -> list[Contact]: ...

    async def overdue(self, now: datetime, *, limit: int) -> list[Contact]: ...


@dataclass(frozen=True)
class KeyClaim:
    key: str
    contact_id: str
    claimed_at: datetime


class KeyStore(Protocol):
    """The uniqueness index: one claim per hashed e-mail/phone."""

    async def claim(self, key: str, contact_id: str, now: datetime) -> KeyClaim | None:
        """``None`` when claimed; otherwise the claim that already holds the key."""
        ...

    async def take_over(self, stale: KeyClaim, contact_id: str, now: datetime) -> bool: ...

    async def holder(self, key: str) -> KeyClaim | None:
        """The claim of ``key`` (a look-up by e-mail, phone or external id)."""
        ...

    async def release(self, keys: list[str], contact_id: str) -> None: ...

    async def release_all(self, contact_ids: list[str]) -> None: ...


class ContactViewReader(Protocol):
    """The 360° view read model (written only by the projection consumer)."""

    async def get(self, contact_id: str) -> dict[str, Any] | None: ...

    async def pages(self, page_ids: list[str]) -> list[dict[str, Any]]:
        """Timeline month pages by id (those that exist)."""
        ...

    async def personal(self, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The personal parts of these contacts (``views.personal``), by contact id, those that
        exist."""
        ...


class PersonalTopic(Protocol):
    """The compacted topic of the contacts' personal records, beyond the outbox's writes."""

    async def roll(self) -> int:
        """Append a roll tombstone (a key that is no contact's) to every partition, so each one's
        active segment rolls and becomes compactable; returns how many were appended."""
        ...


class SlaCounters(Protocol):
    """What the SLA scheduler counts: its rounds and the breaches it wrote, by channel."""

    def count_check(self) -> None: ...

    def count_breach(self, channel: str) -> None: ...
