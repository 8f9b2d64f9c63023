"""How a contact aggregate is laid out in its MongoDB document, and back."""

from __future__ import annotations

from typing import Any

from rapport_contacts.domain.duplicates import likely_duplicate_key
from rapport_contacts.domain.model import (
    Contact,
    ContactStatus,
    ErasedContact,
    OpenCase,
    SlaClock,
)
from rapport_kit.mongo import Document
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import ContactProfile, InteractionKind

ERASED = "erased"
# Every state field a contact document can have; erasure unsets all those it no longer has.
STATE_FIELDS = (
    "status",
    "profile",
    "consents",
    "registered_at",
    "referred_by",
    "merged_into",
    "absorbed",
    "open_cases",
    "clocks",
    "sla_next_due_at",
    "likely_key",
    "personal_keys",
    "erased_at",
    "erasure_pending",
    "erasure_completed_at",
)


def to_document(contact: Contact | ErasedContact) -> Document:
    """The state fields (no ``_id``, version or outbox)."""
    if isinstance(contact, ErasedContact):
        erased: Document = {"status": ERASED, "erased_at": contact.erased_at}
        if contact.completion_pending:  # only while pending: what the completion looks for
            erased["erasure_pending"] = True
        if contact.completed_at is not None:
            erased["erasure_completed_at"] = contact.completed_at
        return erased
    return {
        "status": contact.status.value,
        "profile": contact.profile.model_dump(mode="json"),
        "consents": [consent.model_dump(mode="json") for consent in contact.consents],
        "registered_at": contact.registered_at,
        "referred_by": contact.referred_by,
        "merged_into": contact.merged_into,
        "absorbed": list(contact.absorbed),
        "open_cases": [_case_document(case) for case in contact.open_cases],
        "clocks": [_clock_document(clock) for clock in contact.clocks],
        "personal_keys": list(contact.personal_keys),
        "sla_next_due_at": contact.next_due_at(),
        "likely_key": likely_duplicate_key(contact.profile)
        if contact.merged_into is None
        else None,
    }


def from_document(document: Document) -> Contact | ErasedContact:
    version = int(document.get("version", 0))
    if document.get("status") == ERASED:
        return ErasedContact(
            document["_id"],
            document["erased_at"],
            version,
            completion_pending=bool(document.get("erasure_pending")),
            completed_at=document.get("erasure_completed_at"),
        )
    return Contact(
        contact_id=document["_id"],
        profile=ContactProfile.model_validate(document["profile"]),
        consents=tuple(Consent.model_validate(c) for c in document.get("consents", [])),
        registered_at=document["registered_at"],
        referred_by=document.get("referred_by"),
        status=ContactStatus(document.get("status", ContactStatus.ACTIVE)),
        merged_into=document.get("merged_into"),
        absorbed=tuple(document.get("absorbed", [])),
        open_cases=tuple(_case(c) for c in document.get("open_cases", [])),
        clocks=tuple(_clock(c) for c in document.get("clocks", [])),
        personal_keys=tuple(document.get("personal_keys", [])),
        version=version,
    )


def _case_document(case: OpenCase) -> Document:
    return {**vars(case), "channel": case.channel.value, "kind": case.kind.value}


def _case(document: dict[str, Any]) -> OpenCase:
    return OpenCase(
        **{
            **document,
            "channel": Channel(document["channel"]),
            "kind": InteractionKind(document["kind"]),
        }
    )


def _clock_document(clock: SlaClock) -> Document:
    return {**vars(clock), "channel": clock.channel.value}


def _clock(document: dict[str, Any]) -> SlaClock:
    return SlaClock(**{**document, "channel": Channel(document["channel"])})
