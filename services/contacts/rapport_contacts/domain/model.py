"""The contact aggregate: pure rules that return new state plus the events to publish.

The contact document is the aggregate and the unit of atomic writes, so it stays bounded: it
holds the profile, consents, open cases and open SLA clocks; the history (interactions,
purchases) lives in the events and the 360° read model.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rapport_contacts.domain.errors import ContactMerged
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactErased,
    ContactProfile,
    ContactRegisteredV1,
    ContactUpdatedV1,
    InteractionKind,
    PurchaseRecorded,
)


class ContactStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"


@dataclass(frozen=True)
class OpenCase:
    """A case (a customer issue spanning interactions) that is not resolved yet."""

    case_id: str
    opened_at: datetime
    channel: Channel
    kind: InteractionKind
    interaction_count: int
    inbound_count: int
    agent_id: str | None = None


@dataclass(frozen=True)
class SlaClock:
    """An inbound interaction waiting for an answer until ``due_at``."""

    interaction_id: str
    channel: Channel
    received_at: datetime
    due_at: datetime
    case_id: str | None = None
    agent_id: str | None = None
    breached: bool = False


@dataclass(frozen=True)
class Contact:
    contact_id: str
    profile: ContactProfile
    consents: tuple[Consent, ...]
    registered_at: datetime
    referred_by: str | None = None
    status: ContactStatus = ContactStatus.ACTIVE
    merged_into: str | None = None
    absorbed: tuple[str, ...] = ()
    open_cases: tuple[OpenCase, ...] = ()
    clocks: tuple[SlaClock, ...] = ()
    version: int = 0

    def ensure_active(self) -> None:
        if self.merged_into is not None:
            raise ContactMerged(self.contact_id, self.merged_into)

    def next_due_at(self) -> datetime | None:
        """The earliest deadline of a clock still running: what the SLA scheduler looks for."""
        if self.merged_into is not None:
            return None  # the survivor runs the clocks now
        return min((c.due_at for c in self.clocks if not c.breached), default=None)


@dataclass(frozen=True)
class ErasedContact:
    """All that is kept after erasure: proof that it happened."""

    contact_id: str
    erased_at: datetime
    version: int = 0


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def new_contact_id() -> str:
    return new_id("ct")


def register_contact(
    profile: ContactProfile,
    consents: tuple[Consent, ...],
    *,
    referred_by: str | None,
    now: datetime,
    contact_id: str | None = None,
) -> tuple[Contact, ContactRegisteredV1]:
    contact_id = contact_id or new_contact_id()
    contact = Contact(contact_id, profile, _latest_per_channel(consents), now, referred_by)
    event = ContactRegisteredV1(
        contact_id=contact.contact_id,
        profile=profile,
        consents=contact.consents,
        referred_by=referred_by,
        registered_at=now,
    )
    return contact, event


def update_profile(
    contact: Contact, profile: ContactProfile, *, now: datetime
) -> tuple[Contact, list[ContactUpdatedV1]]:
    """Replace the profile; no event when nothing actually changed."""
    contact.ensure_active()
    before, after = contact.profile.model_dump(), profile.model_dump()
    changed = tuple(name for name in after if before.get(name) != after[name])
    if not changed:
        return contact, []
    event = ContactUpdatedV1(
        contact_id=contact.contact_id, profile=profile, changed_fields=changed, updated_at=now
    )
    return dataclasses.replace(contact, profile=profile), [event]


def change_consent(contact: Contact, consent: Consent) -> tuple[Contact, ContactConsentChanged]:
    contact.ensure_active()
    consents = _latest_per_channel((*contact.consents, consent))
    event = ContactConsentChanged(contact_id=contact.contact_id, consent=consent)
    return dataclasses.replace(contact, consents=consents), event


def record_purchase(contact: Contact, purchase: PurchaseRecorded) -> PurchaseRecorded:
    """Purchases change no aggregate state; the contact must still be the one to write to."""
    contact.ensure_active()
    return purchase


def erase(
    contact: Contact | ErasedContact, *, now: datetime
) -> tuple[ErasedContact, list[ContactErased]]:
    """GDPR art. 17: drop every personal field; erasing twice changes nothing."""
    if isinstance(contact, ErasedContact):
        return contact, []
    erased = ErasedContact(contact.contact_id, now, contact.version)
    return erased, [ContactErased(contact_id=contact.contact_id, erased_at=now)]


def _latest_per_channel(consents: tuple[Consent, ...]) -> tuple[Consent, ...]:
    """One consent per channel and purpose (unset: the whole channel): the last one given wins."""
    by_channel = {(consent.channel, consent.purpose): consent for consent in consents}
    return tuple(by_channel.values())
