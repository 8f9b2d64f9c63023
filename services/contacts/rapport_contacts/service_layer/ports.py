"""What the use cases need from the world; ``adapters/`` implements these on MongoDB."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas import CloudEvent

Events = Sequence[CloudEvent[Any]]


@dataclass(frozen=True)
class SegmentFilter:
    country: str | None = None
    industry: str | None = None
    region: str | None = None
    tag: str | None = None


class ContactRepository(Protocol):
    """Contacts with their pending events; ``save`` raises ``ConcurrentUpdate`` on a stale
    version (optimistic concurrency). ``kept`` is a keyed request's answer, stored by the same
    write as the change (``rapport_kit.idempotency``)."""

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
    ) -> None: ...

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


class SlaCounters(Protocol):
    """What the SLA scheduler counts: its rounds and the breaches it wrote, by channel."""

    def count_check(self) -> None: ...

    def count_breach(self, channel: str) -> None: ...
