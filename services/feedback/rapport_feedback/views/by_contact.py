"""Feedback per contact: surveys asked, answers, latest scores, NPS category, follow-ups.

An answer's comment comes from ``rapport.feedback.personal`` (a ``SurveyComment``, which may
arrive before or after its answer: the two topics are not ordered; ``comments`` keeps it by survey
id until the answer shows it), or, from the history, in a v1 answer; a tombstone of the comment's
key, an erasure or a merge away removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapport_feedback.domain.scores import nps_category
from rapport_kit.projection import Document, Lookup, ProjectedEvent, Tombstone
from rapport_schemas import EventData, topics
from rapport_schemas.contacts import ContactErased, ContactsMerged
from rapport_schemas.feedback import (
    DetractorDetected,
    SurveyAnswered,
    SurveyAnsweredV1,
    SurveyComment,
    SurveyKind,
    SurveyRequested,
)

SURVEY_ITEM = "survey"  # a comment's key: <contact_id>:survey:<survey_id>
# Events about one contact, each keyed by its ``contact_id``.
CONTACT_KEYED = (SurveyRequested, SurveyAnswered, DetractorDetected, ContactErased, SurveyComment)


class FeedbackByContact:
    collection = "feedback_by_contact"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, ContactsMerged):
            return (data.survivor_id, data.contact_id)
        if isinstance(data, CONTACT_KEYED):
            return (str(vars(data)["contact_id"]),)
        if isinstance(data, Tombstone):
            return (data.contact_id,) if _erased_comment(data) else ()
        return ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        current = state or _empty(key)
        data = received.data
        if not isinstance(data, ContactsMerged):
            return _folded(current, data)
        if key == data.contact_id:
            # The survivor holds the comments now; an erasure will only name the survivor.
            return {**_without_comments(current), "merged_into": data.survivor_id}
        return _absorbing(current, lookup(data.contact_id) or _empty(data.contact_id))


def _erased_comment(tombstone: Tombstone) -> str | None:
    """The survey whose comment ``tombstone`` erases; None if it erases no comment."""
    if tombstone.personal_topic != topics.FEEDBACK_PERSONAL:
        return None
    kind, survey_id = tombstone.item or ("", "")
    return survey_id if kind == SURVEY_ITEM and survey_id else None


def _folded(current: Document, data: EventData) -> Document:
    if isinstance(data, Tombstone):
        erased = _erased_comment(data)
        return _with_comment(current, erased, None) if erased else current
    if isinstance(data, SurveyRequested):
        requested = {"survey_id": data.survey_id, "kind": data.kind.value}
        return {**current, "requested": _added(current["requested"], requested, "requested")}
    if isinstance(data, SurveyAnswered):
        return _with_answer(current, data)
    if isinstance(data, SurveyComment):
        return _with_comment(current, data.survey_id, data.comment)
    if isinstance(data, DetractorDetected):
        follow_ups = _added(current["follow_ups"], _follow_up(data), "follow_ups")
        return {**current, "follow_ups": follow_ups}
    assert isinstance(data, ContactErased)
    return {**_without_comments(current), "erased": True}


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
        "comments": [],
    }


def _keeps_comments(current: Document) -> bool:
    """An erased contact keeps none; a merged one hands them to its survivor, whose erasure is
    the only one that will name them."""
    return not current["erased"] and not current["merged_into"]


def _with_comment(current: Document, survey_id: str, comment: str | None) -> Document:
    """``comment`` for the answer to ``survey_id``, whether or not it came yet; None: its
    tombstone (the text goes, the score stays)."""
    if comment is not None and not _keeps_comments(current):
        return current
    comments = [c for c in current.get("comments", []) if c["survey_id"] != survey_id]
    if comment is not None:
        comments.append({"survey_id": survey_id, "comment": comment})
    answers = [
        {**answer, "comment": comment} if answer["survey_id"] == survey_id else answer
        for answer in current["answers"]
    ]
    return {**current, "comments": comments, "answers": answers}


def _comment_of(current: Document, survey_id: str) -> str | None:
    return next(
        (c["comment"] for c in current.get("comments", []) if c["survey_id"] == survey_id), None
    )


def _with_answer(current: Document, answered: SurveyAnswered) -> Document:
    comment = _comment_of(current, answered.survey_id)
    if comment is None and isinstance(answered, SurveyAnsweredV1):
        comment = answered.comment  # from the history
    answer = {
        "survey_id": answered.survey_id,
        "kind": answered.kind.value,
        "score": answered.score,
        "comment": comment if _keeps_comments(current) else None,
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
    if not _keeps_comments(survivor):
        return _summarised(_without_comments(merged))
    for comment in absorbed.get("comments", []):
        merged = _with_comment(merged, comment["survey_id"], comment["comment"])
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
    return {**current, "answers": answers, "comments": []}


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
