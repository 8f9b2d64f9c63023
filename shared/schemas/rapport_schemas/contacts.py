"""Events published by the contacts service on ``rapport.contacts.events`` and its personal data
on ``rapport.contacts.personal``.

From v2 the event topic carries ids and non-personal facts only (``ContactFacts``, ``has_summary``);
name, e-mail, phone, company, external ids and interaction summaries are ``ContactPersonalEvent``
records on the compacted personal topic, erased by a tombstone. The v1 classes (``…V1``) stay for
the history and for the v1 copies published during a migration: subclasses of their v2, so code
handling v2 handles them too.
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field, field_validator, model_validator

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


class ContactFacts(Frozen):
    """The non-personal part of a contact's profile: what the event topics carry (v2)."""

    language: LanguageTag = Field(description="BCP 47")
    time_zone: TimeZoneName = Field(description="IANA time zone")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2")
    preferred_channel: Channel = Channel.EMAIL
    currency: CurrencyCode = Field(description="ISO 4217")
    segment: Segment = Segment()
    account_owner: str | None = Field(default=None, max_length=64, description="Agent id")
    quiet_hours: QuietHours | None = Field(
        default=None, description="Unset: the quiet hours notifications is configured with."
    )
    form_of_address: FormOfAddress | None = Field(
        default=None, description="Unset: each language's neutral salutation."
    )


class ContactProfile(ContactFacts):
    """The personal and segment data of a contact."""

    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16, description="E.164")
    company: str | None = Field(default=None, max_length=200)
    external_ids: tuple[ExternalId, ...] = Field(
        default=(), max_length=20, description="Ids in other systems, unique per source and id."
    )

    def facts(self) -> ContactFacts:
        """The profile without its personal fields (what a v2 event carries)."""
        return ContactFacts.model_validate(self.model_dump(include=set(ContactFacts.model_fields)))


def _facts_only(model: type[EventData], profile: ContactFacts) -> ContactFacts:
    """A v2 event given a whole ``ContactProfile`` keeps only its facts, in memory too (its JSON
    would drop the rest anyway), so nothing personal reaches a v2 consumer in process."""
    if model.model_fields["profile"].annotation is ContactFacts and isinstance(
        profile, ContactProfile
    ):
        return profile.facts()
    return profile


# The profile fields that are personal data: on the personal topic only (``ContactPersonalData``).
PERSONAL_PROFILE_FIELDS = frozenset(ContactProfile.model_fields) - frozenset(
    ContactFacts.model_fields
)


class ContactRegistered(ContactEvent):
    """A contact was registered; its name, e-mail, phone, company and external ids are the
    ``ContactPersonalData`` record published with it on ``rapport.contacts.personal`` (v2)."""

    event_type: ClassVar[str] = "rapport.contacts.contact_registered.v2"

    contact_id: ContactId
    profile: ContactFacts
    consents: tuple[Consent, ...] = ()
    referred_by: ContactId | None = None
    registered_at: AwareDatetime

    @field_validator("profile", mode="after")
    @classmethod
    def _profile_facts(cls, profile: ContactFacts) -> ContactFacts:
        return _facts_only(cls, profile)


class ContactRegisteredV1(ContactRegistered):
    """Deprecated: the profile with its personal fields; superseded by contact_registered.v2.

    Migration for subscribers: consume ``rapport.contacts.contact_registered.v2`` (the profile
    without name, email, phone, company and external_ids) and read those from the
    ``ContactPersonalData`` record keyed by the contact id on ``rapport.contacts.personal``.
    Records already in the log still decode as v1 (a subclass of v2, so code handling v2 handles
    them too); while a producer's ``PRODUCE_V1_EVENTS`` is on it also publishes v1 copies, marked
    with the CloudEvents extension ``rapportcopyof`` (the v2 event's id), which Rapport's own
    consumers skip.
    """

    event_type: ClassVar[str] = "rapport.contacts.contact_registered.v1"
    superseded_by: ClassVar[str] = ContactRegistered.event_type

    profile: ContactProfile


class ContactUpdated(ContactEvent):
    """A contact's profile changed; a change of a personal field also publishes the whole
    current ``ContactPersonalData`` on ``rapport.contacts.personal`` (v2)."""

    event_type: ClassVar[str] = "rapport.contacts.contact_updated.v2"

    contact_id: ContactId
    profile: ContactFacts = Field(description="The whole non-personal profile after the change.")
    changed_fields: tuple[str, ...] = Field(
        description="Profile fields that changed, personal ones included (their values are not)."
    )
    updated_at: AwareDatetime
    source: str | None = Field(
        default=None,
        max_length=128,
        description="Where the change was made (e.g. preference-center); unset: the contacts API.",
    )

    @field_validator("profile", mode="after")
    @classmethod
    def _profile_facts(cls, profile: ContactFacts) -> ContactFacts:
        return _facts_only(cls, profile)


class ContactUpdatedV1(ContactUpdated):
    """Deprecated: the profile with its personal fields; superseded by contact_updated.v2.

    Migration for subscribers: consume ``rapport.contacts.contact_updated.v2`` and read the
    personal fields from ``ContactPersonalData`` on ``rapport.contacts.personal`` (published
    with every update that changes one of them). Decoded from the history and from v1 copies
    (``rapportcopyof``) as for ``ContactRegisteredV1``.
    """

    event_type: ClassVar[str] = "rapport.contacts.contact_updated.v1"
    superseded_by: ClassVar[str] = ContactUpdated.event_type

    profile: ContactProfile = Field(description="The whole profile after the change.")


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


class ErasureCompleted(ContactEvent):
    """Every personal record of the contact on ``rapport.contacts.personal`` has its tombstone,
    acknowledged by Kafka: by ``deadline_at`` compaction has removed the records themselves, and
    no byte of the person is readable on any Rapport topic. Subscribers erase their copies."""

    event_type: ClassVar[str] = "rapport.contacts.erasure_completed.v1"

    contact_id: ContactId
    erased_at: AwareDatetime = Field(description="When the erasure was requested (ContactErased).")
    completed_at: AwareDatetime = Field(description="When the last tombstone was acknowledged.")
    deadline_at: AwareDatetime = Field(
        description="erased_at + the erasure deadline (ERASURE_DEADLINE_HOURS)."
    )


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
    """An interaction was logged; its summary, if any, is the ``InteractionSummary`` record on
    ``rapport.contacts.personal`` (v2)."""

    event_type: ClassVar[str] = "rapport.contacts.interaction_logged.v2"

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
    has_summary: bool = Field(
        default=False, description="An InteractionSummary was published on the personal topic."
    )


class InteractionLoggedV1(InteractionLogged):
    """Deprecated: the summary (personal data) in the event; superseded by interaction_logged.v2.

    Migration for subscribers: consume ``rapport.contacts.interaction_logged.v2`` and, when
    ``has_summary`` is true, read the summary from ``InteractionSummary`` keyed
    ``<contact_id>:interaction:<interaction_id>`` on ``rapport.contacts.personal``. Decoded from
    the history and from v1 copies (``rapportcopyof``) as for ``ContactRegisteredV1``.
    """

    event_type: ClassVar[str] = "rapport.contacts.interaction_logged.v1"
    superseded_by: ClassVar[str] = InteractionLogged.event_type

    summary: str | None = Field(default=None, max_length=2000, description="Personal data.")
    # Derived from ``summary`` for code handling v2; not part of the v1 record.
    has_summary: bool = Field(default=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _has_summary_when_it_carries_one(cls, data: object) -> object:
        if isinstance(data, dict):
            return {**data, "has_summary": data.get("summary") is not None}
        return data


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


class ContactPersonalEvent(EventData):
    """A record of a contact's personal data on the compacted ``rapport.contacts.personal``.

    The newest record per key is the current value; a tombstone (the same key, a null value)
    erases it, and compaction then removes every older record of the key.
    """

    topic: ClassVar[str] = topics.CONTACTS_PERSONAL


class ContactPersonalData(ContactPersonalEvent):
    """The personal part of a contact's profile, whole, as of ``recorded_at``; key: the contact id.

    Published with every registration and every update that changes a personal field.
    """

    event_type: ClassVar[str] = "rapport.contacts.contact_personal_data.v1"
    key_description: ClassVar[str] = "The contact id: the newest record is the current value."

    contact_id: ContactId
    # As in ContactProfile (v1), which they came from.
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16, description="E.164")
    company: str | None = Field(default=None, max_length=200)
    external_ids: tuple[ExternalId, ...] = Field(
        default=(), max_length=20, description="Ids in other systems, unique per source and id."
    )
    recorded_at: AwareDatetime

    @classmethod
    def of(
        cls, contact_id: str, profile: ContactProfile, *, recorded_at: datetime
    ) -> ContactPersonalData:
        """The personal part of ``profile``."""
        personal = profile.model_dump(include=set(PERSONAL_PROFILE_FIELDS))
        return cls(contact_id=contact_id, recorded_at=recorded_at, **personal)


class InteractionSummary(ContactPersonalEvent):
    """The summary of one interaction; key ``<contact_id>:interaction:<interaction_id>``."""

    event_type: ClassVar[str] = "rapport.contacts.interaction_summary.v1"
    key_description: ClassVar[str] = "`<contact_id>:interaction:<interaction_id>`."

    contact_id: ContactId
    interaction_id: EntityId
    summary: str = Field(max_length=2000, description="Personal data.")
    occurred_at: AwareDatetime

    def partition_key(self) -> str:
        return interaction_summary_key(self.contact_id, self.interaction_id)


def interaction_summary_key(contact_id: str, interaction_id: str) -> str:
    """The personal topic's key of an interaction's summary (what its tombstone names)."""
    return f"{contact_id}:interaction:{interaction_id}"
