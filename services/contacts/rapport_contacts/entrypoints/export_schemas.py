"""The layout of a contact export, version 1 (documented by OpenAPI through these models).

Additive changes (a new optional field, a new section) keep ``format_version`` 1; renaming or
removing anything makes version 2, served alongside version 1 for a deprecation period.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import ContactProfile, Direction, InteractionKind
from rapport_schemas.feedback import SurveyKind

FORMAT: Literal["rapport.contact-export"] = "rapport.contact-export"


class Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ExportedInteraction(Item):
    interaction_id: str
    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: datetime
    agent_id: str | None = None
    case_id: str | None = None
    in_reply_to: str | None = None
    summary: str | None = None


class ExportedPurchase(Item):
    purchase_id: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    order_ref: str | None = None


class ExportedCase(Item):
    case_id: str
    channel: Channel
    kind: InteractionKind
    opened_at: datetime
    resolved_at: datetime | None = Field(default=None, description="Unset: still open.")
    first_contact: bool | None = None
    interaction_ids: list[str] = Field(default_factory=list)


class ExportedSurveyAnswer(Item):
    survey_id: str
    kind: SurveyKind
    score: int
    comment: str | None = None
    answered_at: datetime
    channel: Channel | None = None
    language: str | None = None


class ExportedMessage(Item):
    notification_id: str
    template: str
    channel: Channel
    locale: str = Field(description="The locale the message was rendered in.")
    consent: Consent | None = Field(
        default=None, description="The consent the message was sent on; unset for internal alerts."
    )
    transactional: bool
    internal: bool = Field(description="An alert about the contact to staff, not to the contact.")
    sent_at: datetime


class ContactExport(BaseModel):
    """Everything Rapport holds about one contact, as one JSON document (GDPR art. 15 and 20).

    A merged (absorbed) contact exports only ``status: merged`` and ``merged_into``: its data
    lives on in that contact's export. ``merged_from`` lists the contacts absorbed into this one,
    whose items are included here."""

    format: Literal["rapport.contact-export"] = FORMAT
    format_version: Literal[1] = 1
    exported_at: datetime
    contact_id: str
    status: Literal["active", "merged"]
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    profile: ContactProfile | None = None
    registered_at: datetime | None = None
    referred_by: str | None = None
    consents: list[Consent] = Field(
        default_factory=list, description="In force now, per channel and purpose."
    )
    consent_history: list[Consent] = Field(
        default_factory=list, description="Every consent given or withdrawn, with source and time."
    )
    interactions: list[ExportedInteraction] = Field(default_factory=list)
    purchases: list[ExportedPurchase] = Field(default_factory=list)
    cases: list[ExportedCase] = Field(default_factory=list)
    survey_answers: list[ExportedSurveyAnswer] = Field(default_factory=list)
    messages_sent: list[ExportedMessage] = Field(default_factory=list)

    @classmethod
    def merged(cls, contact_id: str, survivor_id: str, now: datetime) -> ContactExport:
        return cls(exported_at=now, contact_id=contact_id, status="merged", merged_into=survivor_id)

    @classmethod
    def of(cls, contact: Any, record: dict[str, Any], now: datetime) -> ContactExport:
        sections = {
            name: record.get(name, [])
            for name in (
                "consent_history",
                "interactions",
                "purchases",
                "cases",
                "survey_answers",
                "messages_sent",
            )
        }
        return cls.model_validate(
            {
                "exported_at": now,
                "contact_id": contact.contact_id,
                "status": "active",
                "merged_from": list(contact.absorbed),
                "profile": contact.profile,
                "registered_at": contact.registered_at,
                "referred_by": contact.referred_by,
                "consents": list(contact.consents),
                **sections,
            }
        )
