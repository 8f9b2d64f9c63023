"""Reading the feedback read models (written only by the views consumer)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from rapport_feedback.views.aggregates import AnswersByInteraction, AnswersByKind
from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ResponseRates
from rapport_kit.mongo import Document

HIDDEN = {"_id": 0, "_wm": 0, "_v": 0}
# by_contact keeps comments that came before their answers by survey id; the answers show them.
HIDDEN_BY_CONTACT = {**HIDDEN, "comments": 0}


class MongoFeedbackViews:
    """The ``FeedbackViewReader`` port on MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db

    async def by_contact(self, contact_id: str) -> dict[str, Any] | None:
        collection = self.db[FeedbackByContact.collection]
        return await collection.find_one({"_id": contact_id}, HIDDEN_BY_CONTACT)

    async def answers_about(self, key: str) -> dict[str, Any] | None:
        return await self.db[AnswersByInteraction.collection].find_one({"_id": key}, HIDDEN)

    async def response_rates(self, *, segment: str, kind: str | None) -> list[dict[str, Any]]:
        query: Document = {"segment": segment}
        if kind is not None:
            query["kind"] = kind
        collection = self.db[ResponseRates.collection]
        cursor = collection.find(query, HIDDEN).sort([("kind", 1), ("value", 1)])
        return [document async for document in cursor]

    async def answers_by_kind(self) -> list[dict[str, Any]]:
        cursor = self.db[AnswersByKind.collection].find({}, HIDDEN).sort("kind", 1)
        return [document async for document in cursor]
