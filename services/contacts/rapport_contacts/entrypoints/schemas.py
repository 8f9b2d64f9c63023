"""Request and response bodies of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from rapport_contacts.domain import validation
from rapport_contacts.domain.model import Contact
from rapport_contacts.domain.profiles import ExternalIdInput, ProfileInput, SegmentInput
from rapport_contacts.service_layer.registration import Registration
from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.contacts import (
    ContactProfile,
    Direction,
    FormOfAddress,
    InteractionKind,
    InteractionLogged,
    QuietHours,
)

# What reaches an e-mail header or subject (order and case references, agents) or a log line is one
# line without control characters; a summary may have line breaks, nothing else.
SingleLine = Annotated[str, AfterValidator(validation.single_line)]
MultiLine = Annotated[str, AfterValidator(validation.multi_line)]
ID_PATTERN = r"^[A-Za-z0-9_-]+$"  # the same as every path id (rapport_kit.http_guards.PathId)


class RegisterContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileInput
    consents: list[Consent] = Field(default_factory=list, max_length=20)
    referred_by: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)


class ProfilePatch(BaseModel):
    """Only the fields given change; the whole resulting profile is validated again."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    time_zone: str | None = None
    preferred_channel: Channel | None = None
    currency: str | None = None
    company: str | None = None
    segment: SegmentInput | None = None
    account_owner: str | None = None
    quiet_hours: QuietHours | None = None
    form_of_address: FormOfAddress | None = None
    external_ids: list[ExternalIdInput] | None = Field(
        default=None, description="Replaces the whole list."
    )


class ContactResponse(BaseModel):
    contact_id: str
    status: str
    merged_into: str | None = None
    profile: ContactProfile
    consents: list[Consent]
    registered_at: datetime
    referred_by: str | None = None

    @classmethod
    def of(cls, contact: Contact) -> ContactResponse:
        return cls(
            contact_id=contact.contact_id,
            status=contact.status.value,
            merged_into=contact.merged_into,
            profile=contact.profile,
            consents=list(contact.consents),
            registered_at=contact.registered_at,
            referred_by=contact.referred_by,
        )


class RegisteredResponse(ContactResponse):
    likely_duplicates: list[str] = Field(
        description="Contacts that are probably the same person (same name and company)."
    )

    @classmethod
    def of_registration(cls, registered: Registration) -> RegisteredResponse:
        contact = ContactResponse.of(registered.contact)
        return cls(**contact.model_dump(), likely_duplicates=registered.likely_duplicates)


class ContactQuery(BaseModel):
    """``GET /contacts``: segment filters (all optional, combined with AND), or a look-up by one
    of ``email``, ``phone`` (with ``country`` for a national number) or ``external_id``."""

    model_config = ConfigDict(extra="forbid")  # an unknown parameter is 422, not ignored

    email: str | None = Field(default=None, max_length=254, description="Look up by e-mail.")
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Look up by phone: E.164, or national with country.",
    )
    external_id: str | None = Field(
        default=None, max_length=161, description="Look up by `source:id`, e.g. `zendesk:123`."
    )
    country: str | None = Field(default=None, max_length=2)
    industry: str | None = Field(default=None, max_length=64)
    region: str | None = Field(default=None, max_length=64)
    tag: str | None = Field(default=None, max_length=40)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=64, description="`next_cursor` of a page.")


class ContactPage(BaseModel):
    items: list[ContactResponse]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool
    source: SingleLine = Field(min_length=1, max_length=128, description="Where consent was given.")
    changed_at: AwareDatetime | None = None
    purpose: Purpose | None = Field(
        default=None, description="Unset: the whole channel; set: that purpose only."
    )


class LogInteractionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: AwareDatetime | None = None
    agent_id: SingleLine | None = Field(default=None, max_length=64)
    case_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=ID_PATTERN)
    in_reply_to: str | None = Field(default=None, max_length=64, pattern=ID_PATTERN)
    summary: MultiLine | None = Field(default=None, max_length=2000)


class InteractionResponse(BaseModel):
    interaction_id: str
    contact_id: str
    awaits_response: bool
    response_due_at: datetime | None

    @classmethod
    def of(cls, logged: InteractionLogged) -> InteractionResponse:
        return cls(
            interaction_id=logged.interaction_id,
            contact_id=logged.contact_id,
            awaits_response=logged.awaits_response,
            response_due_at=logged.response_due_at,
        )


class RecordPurchaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=4)
    currency: str = Field(max_length=3, description="ISO 4217", examples=["TRY"])
    occurred_at: AwareDatetime | None = None
    order_ref: SingleLine | None = Field(default=None, max_length=64)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validation.currency_code(value)


class ResolveCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: SingleLine | None = Field(default=None, max_length=64)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: str = Field(
        min_length=1, max_length=64, pattern=ID_PATTERN, description="The contact absorbed."
    )


class MergeResponse(BaseModel):
    survivor_id: str
    merged_contact_id: str
    absorbed: list[str]


class ErasureResponse(BaseModel):
    contact_id: str
    erased_at: datetime


class TimelineQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200, description="Timeline items in this page.")
    cursor: str | None = Field(
        default=None, max_length=200, description="`timeline_next_cursor` of the last page."
    )


class ContactViewResponse(BaseModel):
    """The 360° view; lists are bounded (newest kept), counts and lifetime value are totals."""

    contact_id: str
    status: str
    profile: dict[str, Any] | None = None
    consents: dict[str, Any] = Field(default_factory=dict)
    registered_at: datetime | None = None
    timeline: list[dict[str, Any]] = Field(
        default_factory=list, description="One page of the timeline, newest first."
    )
    timeline_next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the older items; null: no more."
    )
    purchases: list[dict[str, Any]] = Field(default_factory=list)
    purchase_count: int = 0
    lifetime_value: dict[str, str] = Field(default_factory=dict, description="Per currency.")
    latest_scores: dict[str, dict[str, Any]] = Field(default_factory=dict)
    open_cases: list[dict[str, Any]] = Field(default_factory=list)
    open_complaints: list[dict[str, Any]] = Field(default_factory=list)
    notifications_sent: int = Field(
        default=0, description="To the customer; internal alerts excluded."
    )
    recent_notifications: list[dict[str, Any]] = Field(default_factory=list)
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    erased_at: datetime | None = None
