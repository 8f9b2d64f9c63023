"""The contact aggregate: pure rules that return new state plus the events to publish.

The contact document is the aggregate and the unit of atomic writes, so it stays bounded: it
holds the profile, consents, open cases and open SLA clocks; the history (interactions,
purchases) lives in the events and the 360° read model. It also lists the key of every personal
record it published (``personal_keys``: the profile's, each interaction summary's), the one
thing erasure needs to tombstone them all (issue 20).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rapport_contacts.domain.errors import ContactMerged
from rapport_schemas import EventData
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    PERSONAL_PROFILE_FIELDS,
    ContactConsentChanged,
    ContactErased,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactUpdated,
    ErasureCompleted,
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
    # Every key this contact's records were published under on the personal topic.
    personal_keys: tuple[str, ...] = ()
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
    """All that is kept after erasure: proof that it happened, and whether ``ErasureCompleted``
    (written once Kafka acknowledged every tombstone) is still to come."""

    contact_id: str
    erased_at: datetime
    version: int = 0
    completion_pending: bool = False
    completed_at: datetime | None = None


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
) -> tuple[Contact, list[EventData]]:
    """The new contact, its ``ContactRegistered`` and the record of its personal data."""
    contact_id = contact_id or new_contact_id()
    contact = Contact(contact_id, profile, _latest_per_channel(consents), now, referred_by)
    event = ContactRegistered(
        contact_id=contact.contact_id,
        profile=profile.facts(),
        consents=contact.consents,
        referred_by=referred_by,
        registered_at=now,
    )
    personal = ContactPersonalData.of(contact_id, profile, recorded_at=now)
    return published_under(contact, personal.partition_key()), [event, personal]


def update_profile(
    contact: Contact, profile: ContactProfile, *, now: datetime
) -> tuple[Contact, list[EventData]]:
    """Replace the profile; no event when nothing actually changed, and a new record of the
    personal data only when a personal field changed."""
    contact.ensure_active()
    before, after = contact.profile.model_dump(), profile.model_dump()
    changed = tuple(name for name in after if before.get(name) != after[name])
    if not changed:
        return contact, []
    updated = dataclasses.replace(contact, profile=profile)
    event = ContactUpdated(
        contact_id=contact.contact_id,
        profile=profile.facts(),
        changed_fields=changed,
        updated_at=now,
    )
    if PERSONAL_PROFILE_FIELDS.isdisjoint(changed):
        return updated, [event]
    personal = ContactPersonalData.of(contact.contact_id, profile, recorded_at=now)
    return published_under(updated, personal.partition_key()), [event, personal]


def published_under(contact: Contact, key: str) -> Contact:
    """``contact`` remembering that a personal record was published under ``key``."""
    if key in contact.personal_keys:
        return contact
    return dataclasses.replace(contact, personal_keys=(*contact.personal_keys, key))


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
) -> tuple[ErasedContact, list[ContactErased], tuple[str, ...]]:
    """GDPR art. 17: drop every personal field; returns the keys of the personal records to
    tombstone (every one ever published). Erasing twice changes nothing."""
    if isinstance(contact, ErasedContact):
        return contact, [], ()
    erased = ErasedContact(contact.contact_id, now, contact.version, completion_pending=True)
    event = ContactErased(contact_id=contact.contact_id, erased_at=now)
    return erased, [event], contact.personal_keys


def complete_erasure(
    erased: ErasedContact, *, now: datetime, deadline: timedelta
) -> tuple[ErasedContact, list[ErasureCompleted]]:
    """Once Kafka acknowledged every tombstone: ``ErasureCompleted``, once."""
    if not erased.completion_pending:
        return erased, []
    completed = dataclasses.replace(erased, completion_pending=False, completed_at=now)
    event = ErasureCompleted(
        contact_id=erased.contact_id,
        erased_at=erased.erased_at,
        completed_at=now,
        deadline_at=erased.erased_at + deadline,
    )
    return completed, [event]


def _latest_per_channel(consents: tuple[Consent, ...]) -> tuple[Consent, ...]:
    """One consent per channel and purpose (unset: the whole channel): the last one given wins."""
    by_channel = {(consent.channel, consent.purpose): consent for consent in consents}
    return tuple(by_channel.values())
