"""Feedback read models over HTTP (scope ``feedback:read``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from rapport_feedback.views.aggregates import (
    AnswersByInteraction,
    AnswersByKind,
    interaction_key,
)
from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ALL, ResponseRates
from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_kit.mongo import Document
from rapport_schemas.feedback import SurveyKind

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_scope("feedback:read"))])
HIDDEN = {"_id": 0, "_wm": 0, "_v": 0}
MAX_MERGE_HOPS = 8


def database(request: Request) -> AsyncDatabase[Document]:
    db: AsyncDatabase[Document] = request.app.state.runtime.db
    return db


Database = Annotated[AsyncDatabase[Document], Depends(database)]


class Segment(StrEnum):
    ALL = ALL
    COUNTRY = "country"
    LANGUAGE = "language"


class ResponseRate(BaseModel):
    kind: SurveyKind
    segment: Segment
    value: str
    requested: int
    answered: int
    rate: float | None


@router.get("/contacts/{contact_id}/feedback")
async def contact_feedback(contact_id: PathId, db: Database) -> dict[str, Any]:
    """Surveys, answers, latest scores and NPS category; a merged contact shows its survivor."""
    collection = db[FeedbackByContact.collection]
    for _ in range(MAX_MERGE_HOPS):
        document = await collection.find_one({"_id": contact_id}, HIDDEN)
        if document is None or not document.get("merged_into"):
            break
        contact_id = document["merged_into"]
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no feedback for this contact")
    return document


@router.get("/interactions/{interaction_id}/feedback")
async def interaction_feedback(interaction_id: PathId, db: Database) -> dict[str, Any]:
    """Answers to the surveys an interaction triggered (scores only)."""
    return await _answers_about(db, interaction_key("interaction", interaction_id))


@router.get("/cases/{case_id}/feedback")
async def case_feedback(case_id: PathId, db: Database) -> dict[str, Any]:
    """Answers to the surveys a resolved case triggered (scores only)."""
    return await _answers_about(db, interaction_key("case", case_id))


@router.get("/surveys/response-rates")
async def response_rates(
    db: Database,
    kind: Annotated[SurveyKind | None, Query()] = None,
    segment: Annotated[Segment, Query()] = Segment.ALL,
) -> list[ResponseRate]:
    """Answered ÷ requested, per survey kind and segment value."""
    query: Document = {"segment": segment.value}
    if kind is not None:
        query["kind"] = kind.value
    cursor = db[ResponseRates.collection].find(query, HIDDEN).sort([("kind", 1), ("value", 1)])
    return [_rate(document) async for document in cursor]


@router.get("/surveys/kinds")
async def answers_by_kind(db: Database) -> list[dict[str, Any]]:
    """Answer count, score distribution and (NPS) categories per survey kind; anonymous."""
    cursor = db[AnswersByKind.collection].find({}, HIDDEN).sort("kind", 1)
    return [document async for document in cursor]


async def _answers_about(db: AsyncDatabase[Document], key: str) -> dict[str, Any]:
    document = await db[AnswersByInteraction.collection].find_one({"_id": key}, HIDDEN)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no answers about this yet")
    return document


def _rate(document: Document) -> ResponseRate:
    requested, answered = document["requested"], document["answered"]
    rate = answered / requested if requested else None
    return ResponseRate(**document, rate=rate)
