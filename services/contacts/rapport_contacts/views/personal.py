"""The personal part of a contact as the 360° view and the export hold it (issue 20).

From v2 the event topics carry no personal data: the profile's name, e-mail, phone, company and
external ids (``ContactPersonalData``), interaction summaries (``InteractionSummary``) and survey
comments (``SurveyComment``) are records on the compacted personal topics, each erased by its
key's tombstone. Those topics are read beside the event topics, so a record and the event it
completes arrive in either order (a rebuild reads the topics interleaved): the part is kept by
id, apart from the events, and joined when the view or the export is read, so no fold depends on
which came first. v1 events from the history still carry their personal fields and are folded as
before; a personal record, newer by construction, wins over them when both exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapport_kit.projection import Document, Lookup, ProjectedEvent, Tombstone
from rapport_schemas.contacts import (
    PERSONAL_PROFILE_FIELDS,
    ContactErased,
    ContactPersonalData,
    InteractionSummary,
)
from rapport_schemas.feedback import SurveyComment

INTERACTION = "interaction"
SURVEY = "survey"
PersonalRecord = ContactPersonalData | InteractionSummary | SurveyComment
PERSONAL_RECORDS = (ContactPersonalData, InteractionSummary, SurveyComment)


@dataclass(frozen=True)
class PersonalKey:
    """What a personal topic's key names: a contact's profile (``item`` None), or one of its
    interaction summaries or survey comments."""

    contact_id: str
    kind: str | None = None
    item: str | None = None

    @classmethod
    def parse(cls, key: str) -> PersonalKey | None:
        """``<contact_id>``, ``<contact_id>:interaction:<id>`` or ``<contact_id>:survey:<id>``;
        anything else (a producer's segment-roll key, say) names nothing this service holds."""
        parts = key.split(":", 2)
        if len(parts) == 1 and parts[0]:
            return cls(parts[0])
        if len(parts) == 3 and parts[0] and parts[1] in (INTERACTION, SURVEY) and parts[2]:
            return cls(parts[0], parts[1], parts[2])
        return None


def tombstoned(received: ProjectedEvent) -> PersonalKey | None:
    """The item a personal topic's tombstone erases; None for any other record."""
    data = received.data
    return PersonalKey.parse(data.key) if isinstance(data, Tombstone) else None


def is_personal(received: ProjectedEvent) -> bool:
    """A personal topic's record or tombstone: never a timeline item, never in an event fold."""
    return isinstance(received.data, PERSONAL_RECORDS) or tombstoned(received) is not None


def empty() -> Document:
    return {
        "profile": None,
        "profile_at": None,
        "profile_erased": False,
        "summaries": {},
        "comments": {},
    }


def with_record(part: Document, data: PersonalRecord) -> Document:
    """The part with ``data``; the newest profile record wins, an erased profile stays erased."""
    if isinstance(data, InteractionSummary):
        summary = {"summary": data.summary, "occurred_at": data.occurred_at}
        return {**part, "summaries": {**part["summaries"], data.interaction_id: summary}}
    if isinstance(data, SurveyComment):
        comment = {"comment": data.comment, "answered_at": data.answered_at}
        return {**part, "comments": {**part["comments"], data.survey_id: comment}}
    known_at = part["profile_at"]
    if part["profile_erased"] or (known_at is not None and data.recorded_at < known_at):
        return part
    profile = data.model_dump(mode="json", include=set(PERSONAL_PROFILE_FIELDS))
    return {**part, "profile": profile, "profile_at": data.recorded_at}


def without(part: Document, key: PersonalKey) -> Document:
    """The part after the tombstone of ``key``: that item is gone. A profile's tombstone comes
    only with an erasure, so it also hides the personal fields v1 events brought."""
    if key.kind is None:
        return {**part, "profile": None, "profile_at": None, "profile_erased": True}
    section = "summaries" if key.kind == INTERACTION else "comments"
    return {**part, section: {k: v for k, v in part[section].items() if k != key.item}}


def merged(parts: Iterable[Document]) -> Document:
    """One part of a survivor and the contacts merged into it: their summaries and comments (ids
    are unique across contacts); the profile is the first one's (the survivor's own)."""
    first, *others = [{**empty(), **part} for part in parts] or [empty()]
    summaries = {k: v for part in (*others, first) for k, v in part["summaries"].items()}
    comments = {k: v for part in (*others, first) for k, v in part["comments"].items()}
    return {**first, "summaries": summaries, "comments": comments}


def profile_with(profile: dict[str, Any] | None, part: Document) -> dict[str, Any] | None:
    """The profile an event folded (v2: facts only; v1: whole) completed by the personal part."""
    if profile is None:
        return None
    if part["profile_erased"]:
        return {k: v for k, v in profile.items() if k not in PERSONAL_PROFILE_FIELDS}
    return {**profile, **(part["profile"] or {})}


def summary_of(part: Document, interaction_id: str) -> str | None:
    found = part["summaries"].get(interaction_id)
    return str(found["summary"]) if found else None


def comment_of(part: Document, survey_id: str) -> str | None:
    found = part["comments"].get(survey_id)
    return str(found["comment"]) if found else None


def with_texts(details: dict[str, Any], part: Document) -> dict[str, Any]:
    """An event's fields with the text its v2 flag says is on a personal topic: ``has_summary``
    (an interaction's summary), ``has_comment`` (a survey's comment; a detractor raised by a
    complaint: that interaction's summary). v1 fields carry their own text."""
    interaction_id, survey_id = details.get("interaction_id"), details.get("survey_id")
    summary = summary_of(part, interaction_id) if interaction_id is not None else None
    if details.get("has_summary") and summary is not None:
        details = {**details, "summary": summary}
    if details.get("has_comment"):
        text = comment_of(part, survey_id) if survey_id is not None else summary
        if text is not None:
            details = {**details, "comment": text}
    return details


class PersonalPart:
    """The view read model's personal part of each contact (``contact_view_personal``, one
    document per contact), joined with the view when it is read (``reading.read_view``).

    Erasure shrinks it to the proof of erasure, and nothing arriving later (a personal record a
    rebuild reads after the ``ContactErased``) brings anything back."""

    collection = "contact_view_personal"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, (*PERSONAL_RECORDS, ContactErased)):
            return (data.contact_id,)
        erased = tombstoned(received)
        return (erased.contact_id,) if erased is not None else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        part = state or {"contact_id": key, "status": "active", **empty()}
        data = received.data
        if part["status"] == "erased":
            return part
        if isinstance(data, ContactErased):
            return {"contact_id": key, "status": "erased", "erased_at": data.erased_at}
        if isinstance(data, PERSONAL_RECORDS):
            return with_record(part, data)
        erased = tombstoned(received)
        return without(part, erased) if erased is not None else part
