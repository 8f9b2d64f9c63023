"""Survey records, found by id; an answer and its events are one atomic write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import UpdateOne

from rapport_feedback.domain.answers import Survey
from rapport_feedback.domain.outcome import IssuedSurvey
from rapport_kit.mongo import Document
from rapport_kit.outbox import OUTBOX, OutboxDocuments, OutboxTombstone
from rapport_schemas import CloudEvent, topics
from rapport_schemas.common import Channel
from rapport_schemas.feedback import SurveyKind, survey_comment_key

# Who wrote the answer's comment (the survey's contact, or the survivor it was merged into), the
# comment's key on rapport.feedback.personal, and whether its tombstone is queued.
COMMENTER = "comment_by"
COMMENT_KEY = "comment_key"
COMMENT_ERASED = "comment_erased"
COMMENT_ERASED_AT = "comment_erased_at"


class MongoSurveyStore(OutboxDocuments):
    async def ensure_indexes(self) -> None:
        await self.collection.create_index("contact_id")
        await self.collection.create_index(COMMENTER)
        await self.collection.create_index(COMMENT_ERASED_AT)

    async def register(self, issued: Sequence[IssuedSurvey]) -> None:
        """Idempotent upsert on the derived survey id, before the event that announces it exists.

        A retried decision may announce a later expiry for the same survey; the latest is kept,
        so the link signed from whichever ``SurveyRequested`` was finally published opens it.
        """
        if not issued:
            return
        await self.collection.bulk_write([_registration(s) for s in issued], ordered=False)

    async def find(self, survey_id: str) -> Survey | None:
        document = await self.collection.find_one({"_id": survey_id}, {OUTBOX: 0})
        return _from_document(document) if document else None

    async def record_answer(
        self,
        survey_id: str,
        events: Sequence[CloudEvent[Any]],
        now: datetime,
        commenter: str | None = None,
    ) -> bool:
        """Marks the survey used and queues its events; False if another answer won the race or
        an erasure withdrew the survey meanwhile (its comment would come after the tombstones).

        A comment's key and author are kept with the record: the erasure of that contact (or of
        the contact it was merged into) tombstones it from here."""
        answered: Document = {"used": True, "answered_at": now}
        if commenter is not None:
            answered |= {
                COMMENTER: commenter,
                COMMENT_KEY: survey_comment_key(commenter, survey_id),
            }
        open_survey = {"_id": survey_id, "used": False, "withdrawn": {"$ne": True}}
        return await self.write(open_survey, {"$set": answered}, events) is not None

    async def reassign_open(self, survivors: Mapping[str, str]) -> None:
        """Open surveys of a merged contact now belong to the survivor (and its erasure)."""
        for absorbed, survivor in sorted(survivors.items()):
            await self.collection.update_many(
                {"contact_id": absorbed, "used": False}, {"$set": {"contact_id": survivor}}
            )

    async def withdraw_open(self, contact_ids: Iterable[str]) -> None:
        """Links already sent to an erased contact stop working."""
        for contact_id in sorted(contact_ids):
            await self.collection.update_many(
                {"contact_id": contact_id, "used": False}, {"$set": {"withdrawn": True}}
            )

    async def erase_comments(self, commenters: Iterable[str]) -> int:
        """One write per comment: the tombstone queued in the survey's outbox and the comment
        marked erased together, so a crash between two leaves the rest for the redelivered
        erasure (only comments not yet marked are written)."""
        erased = 0
        pending = {COMMENTER: {"$in": sorted(set(commenters))}, COMMENT_ERASED: {"$ne": True}}
        async for document in self.collection.find(pending, {COMMENT_KEY: 1}):
            key = document[COMMENT_KEY]
            written = await self.write(
                {"_id": document["_id"], COMMENT_ERASED: {"$ne": True}},
                {"$set": {COMMENT_ERASED: True, COMMENT_ERASED_AT: self.clock()}},
                [OutboxTombstone(topics.FEEDBACK_PERSONAL, key)],
            )
            erased += written is not None
        return erased

    async def last_comment_erasure(self) -> datetime | None:
        """When the latest comment tombstone was queued (None: never)."""
        newest = self.collection.find({COMMENT_ERASED_AT: {"$ne": None}}, {COMMENT_ERASED_AT: 1})
        found = await newest.sort(COMMENT_ERASED_AT, -1).limit(1).to_list()
        return found[0][COMMENT_ERASED_AT] if found else None


def _registration(survey: IssuedSurvey) -> UpdateOne:
    request = survey.request
    return UpdateOne(
        {"_id": request.survey_id},
        {
            "$max": {"expires_at": request.expires_at},
            "$setOnInsert": _new_record(survey),
        },
        upsert=True,
    )


def _new_record(survey: IssuedSurvey) -> Document:
    request = survey.request
    return {
        "contact_id": request.contact_id,
        "kind": request.kind.value,
        "channel": request.channel.value,
        "language": request.language,
        "country": request.country,
        "requested_at": request.requested_at,
        "interaction_id": request.interaction_id,
        "case_id": request.case_id,
        "trigger_event_id": request.trigger_event_id,
        "used": False,
        "withdrawn": False,
    }


def _from_document(document: Document) -> Survey:
    return Survey(
        survey_id=document["_id"],
        contact_id=document["contact_id"],
        kind=SurveyKind(document["kind"]),
        channel=Channel(document["channel"]),
        language=document.get("language"),
        country=document.get("country"),
        requested_at=document["requested_at"],
        expires_at=document["expires_at"],
        interaction_id=document.get("interaction_id"),
        case_id=document.get("case_id"),
        used=bool(document.get("used")),
        withdrawn=bool(document.get("withdrawn")),
    )
