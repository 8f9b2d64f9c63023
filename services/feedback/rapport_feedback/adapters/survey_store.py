"""Survey records, found by id; an answer and its events are one atomic write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import UpdateOne

from rapport_feedback.domain.answers import Survey
from rapport_feedback.domain.outcome import IssuedSurvey
from rapport_kit.mongo import Document
from rapport_kit.outbox import OUTBOX, OutboxDocuments
from rapport_schemas import CloudEvent
from rapport_schemas.common import Channel
from rapport_schemas.feedback import SurveyKind


class MongoSurveyStore(OutboxDocuments):
    async def ensure_indexes(self) -> None:
        await self.collection.create_index("contact_id")

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
        self, survey_id: str, events: Sequence[CloudEvent[Any]], now: datetime
    ) -> bool:
        """Marks the survey used and queues its events; False if another answer won the race."""
        update = {"$set": {"used": True, "answered_at": now}}
        return await self.write({"_id": survey_id, "used": False}, update, events) is not None

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
