"""Feedback per contact: surveys asked, answers, latest scores, NPS category, follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapport_feedback.domain.scores import nps_category
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.contacts import ContactErased, ContactsMerged
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyKind, SurveyRequested


class FeedbackByContact:
    collection = "feedback_by_contact"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, ContactsMerged):
            return (data.survivor_id, data.contact_id)
        if isinstance(data, SurveyRequested | SurveyAnswered | DetractorDetected | ContactErased):
            return (data.contact_id,)
        return ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        current = state or _empty(key)
        data = received.data
        if isinstance(data, SurveyRequested):
            requested = {"survey_id": data.survey_id, "kind": data.kind.value}
            return {**current, "requested": _added(current["requested"], requested, "requested")}
        if isinstance(data, SurveyAnswered):
            return _with_answer(current, data)
        if isinstance(data, DetractorDetected):
            follow_ups = _added(current["follow_ups"], _follow_up(data), "follow_ups")
            return {**current, "follow_ups": follow_ups}
        if isinstance(data, ContactErased):
            return {**_without_comments(current), "erased": True}
        assert isinstance(data, ContactsMerged)
        if key == data.contact_id:
            # The survivor holds the comments now; an erasure will only name the survivor.
            return {**_without_comments(current), "merged_into": data.survivor_id}
        return _absorbing(current, lookup(data.contact_id) or _empty(data.contact_id))


def _empty(contact_id: str) -> Document:
    return {
        "contact_id": contact_id,
        "requested": [],
        "answers": [],
        "follow_ups": [],
        "latest": {},
        "nps_category": None,
        "erased": False,
        "merged_into": None,
    }


def _with_answer(current: Document, answered: SurveyAnswered) -> Document:
    answer = {
        "survey_id": answered.survey_id,
        "kind": answered.kind.value,
        "score": answered.score,
        "comment": None if current["erased"] else answered.comment,
        "answered_at": answered.answered_at,
        "interaction_id": answered.interaction_id,
        "case_id": answered.case_id,
    }
    return _summarised({**current, "answers": _added(current["answers"], answer, "answers")})


def _follow_up(detected: DetractorDetected) -> Document:
    return {
        "reason": detected.reason.value,
        "detected_at": detected.detected_at,
        "survey_id": detected.survey_id,
        "interaction_id": detected.interaction_id,
    }


def _absorbing(survivor: Document, absorbed: Document) -> Document:
    merged = dict(survivor)
    for field in ("requested", "answers", "follow_ups"):
        for item in absorbed[field]:
            merged[field] = _added(merged[field], item, field)
    return _summarised(merged)


def _summarised(current: Document) -> Document:
    """Latest score per kind, by answer time, and the NPS category it puts the contact in."""
    latest: dict[str, Any] = {}
    for answer in sorted(current["answers"], key=lambda a: a["answered_at"]):
        latest[answer["kind"]] = {"score": answer["score"], "answered_at": answer["answered_at"]}
    nps = latest.get(SurveyKind.NPS.value)
    category = nps_category(nps["score"]).value if nps else None
    return {**current, "latest": latest, "nps_category": category}


def _without_comments(current: Document) -> Document:
    answers = [{**answer, "comment": None} for answer in current["answers"]]
    return {**current, "answers": answers}


# What identifies an item of each list, so a merge never counts anything twice.
IDENTITY = {
    "requested": ("survey_id",),
    "answers": ("survey_id",),
    "follow_ups": ("reason", "survey_id", "interaction_id"),
}


def _added(items: list[Document], item: Document, field: str) -> list[Document]:
    identity = IDENTITY[field]
    known = {tuple(existing[name] for name in identity) for existing in items}
    return items if tuple(item[name] for name in identity) in known else [*items, item]
