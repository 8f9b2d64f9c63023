"""Events published by the contacts service on ``rapport.contacts.events``."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from rapport_schemas import topics
from rapport_schemas.common import (
    Channel,
    Consent,
    ContactId,
    CountryCode,
    CurrencyCode,
    EntityId,
    Frozen,
    LanguageTag,
    Money,
    Segment,
    TimeZoneName,
)
from rapport_schemas.envelope import EventData


class ActorKind(StrEnum):
    API_KEY = "api_key"
    AGENT = "agent"
    SYSTEM = "system"
    CONTACT = "contact"  # the customer, from a signed link (preference center, unsubscribe)


class Actor(Frozen):
    """Who made a change: an API key's identity (a digest, not the key), the agent who logged an
    interaction, a part of Rapport (the SLA scheduler) or the contact itself (its id). Never
    personal data."""

    kind: ActorKind
    id: str = Field(min_length=1, max_length=64, description="e.g. apikey-1f2e…, agent_7")


class ContactEvent(EventData):
    topic: ClassVar[str] = topics.CONTACTS

    actor: Actor | None = Field(default=None, description="Who made the change; unset: unknown.")


class QuietHours(Frozen):
    """The contact's own quiet hours, local time, ``start`` until ``end`` (may span midnight)."""

    start: time
    end: time


class FormOfAddress(StrEnum):
    """How the contact wants to be addressed where a language's salutation has a grammatical
    gender (de "Sehr geehrte Frau" / "Sehr geehrter Herr", es "Estimada" / "Estimado"). A choice
    of wording the contact made, not a record of sex; ``neutral`` (or unset) is the neutral
    salutation of each language."""

    FEMININE = "feminine"
    MASCULINE = "masculine"
    NEUTRAL = "neutral"


class ExternalId(Frozen):
    """The contact's id in another system (a helpdesk, a shop): one contact per source and id."""

    source: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$", description="The system, e.g. zendesk"
    )
    id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")


class ContactProfile(Frozen):
    """The personal and segment data of a contact."""

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16, description="E.164")
    language: LanguageTag = Field(description="BCP 47")
    time_zone: TimeZoneName = Field(description="IANA time zone")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    preferred_channel: Channel = Channel.EMAIL
    currency: CurrencyCode = Field(description="ISO 4217")
    company: str | None = Field(default=None, max_length=200)
    segment: Segment = Segment()
    account_owner: str | None = Field(default=None, max_length=64, description="Agent id")
    quiet_hours: QuietHours | None = Field(
        default=None, description="Unset: the quiet hours notifications is configured with."
    )
    form_of_address: FormOfAddress | None = Field(
        default=None, description="Unset: each language's neutral salutation."
    )
    external_ids: tuple[ExternalId, ...] = Field(
        default=(), max_length=20, description="Ids in other systems, unique per source and id."
    )


class ContactRegistered(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.contact_registered.v1"

    contact_id: ContactId
    profile: ContactProfile
    consents: tuple[Consent, ...] = ()
    referred_by: ContactId | None = None
    registered_at: AwareDatetime


class ContactUpdated(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.contact_updated.v1"

    contact_id: ContactId
    profile: ContactProfile = Field(description="The whole profile after the change.")
    changed_fields: tuple[str, ...]
    updated_at: AwareDatetime
    source: str | None = Field(
        default=None,
        max_length=128,
        description="Where the change was made (e.g. preference-center); unset: the contacts API.",
    )


class ContactConsentChanged(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.contact_consent_changed.v1"

    contact_id: ContactId
    consent: Consent


class ContactsMerged(ContactEvent):
    """The merged contact's history now belongs to the survivor.

    Keyed by the merged (absorbed) contact so it follows that contact's earlier events in order.
    """

    event_type: ClassVar[str] = "rapport.contacts.contacts_merged.v1"

    contact_id: ContactId = Field(description="The merged (absorbed) contact.")
    survivor_id: ContactId
    merged_at: AwareDatetime


class ContactErased(ContactEvent):
    """Every service removes or anonymizes this contact's personal data (GDPR art. 17)."""

    event_type: ClassVar[str] = "rapport.contacts.contact_erased.v1"

    contact_id: ContactId
    erased_at: AwareDatetime
    reason: str = Field(default="data_subject_request", max_length=64)


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionKind(StrEnum):
    INQUIRY = "inquiry"
    SUPPORT = "support"
    COMPLAINT = "complaint"
    MEETING = "meeting"
    PURCHASE_RELATED = "purchase_related"
    FEEDBACK = "feedback"
    OTHER = "other"


class InteractionLogged(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.interaction_logged.v1"

    interaction_id: EntityId
    contact_id: ContactId
    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: AwareDatetime
    agent_id: str | None = Field(default=None, max_length=64)
    case_id: EntityId | None = None
    in_reply_to: EntityId | None = Field(default=None, description="Inbound interaction answered.")
    awaits_response: bool = False
    response_due_at: AwareDatetime | None = Field(default=None, description="SLA deadline.")
    summary: str | None = Field(default=None, max_length=2000, description="Personal data.")


class PurchaseRecorded(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.purchase_recorded.v1"

    purchase_id: EntityId
    contact_id: ContactId
    amount: Money = Field(ge=0)
    currency: CurrencyCode
    occurred_at: AwareDatetime
    order_ref: str | None = Field(default=None, max_length=64)


class CaseResolved(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.case_resolved.v1"

    case_id: EntityId
    contact_id: ContactId
    channel: Channel
    opened_at: AwareDatetime
    resolved_at: AwareDatetime
    first_contact: bool = Field(description="Resolved within the first interaction.")
    interaction_count: int = Field(ge=1)
    agent_id: str | None = Field(default=None, max_length=64)
    kind: InteractionKind = InteractionKind.SUPPORT


class SlaBreached(ContactEvent):
    event_type: ClassVar[str] = "rapport.contacts.sla_breached.v1"

    interaction_id: EntityId
    contact_id: ContactId
    channel: Channel
    received_at: AwareDatetime
    due_at: AwareDatetime
    agent_id: str | None = Field(default=None, max_length=64)
