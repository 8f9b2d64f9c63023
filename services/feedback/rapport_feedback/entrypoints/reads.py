"""Feedback read models over HTTP (scope ``feedback:read``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from rapport_feedback.service_layer.reading import FeedbackReads
from rapport_feedback.views.response_rates import ALL
from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_schemas.feedback import SurveyKind

router = APIRouter(tags=["feedback"], dependencies=[Depends(require_scope("feedback:read"))])


def feedback_reads(request: Request) -> FeedbackReads:
    reads: FeedbackReads = request.app.state.feedback_reads
    return reads


Reads = Annotated[FeedbackReads, Depends(feedback_reads)]


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
async def contact_feedback(contact_id: PathId, reads: Reads) -> dict[str, Any]:
    """Surveys, answers, latest scores and NPS category; a merged contact shows its survivor."""
    return _found(await reads.contact_feedback(contact_id), "no feedback for this contact")


@router.get("/interactions/{interaction_id}/feedback")
async def interaction_feedback(interaction_id: PathId, reads: Reads) -> dict[str, Any]:
    """Answers to the surveys an interaction triggered (scores only)."""
    return _found(await reads.interaction_answers(interaction_id), "no answers about this yet")


@router.get("/cases/{case_id}/feedback")
async def case_feedback(case_id: PathId, reads: Reads) -> dict[str, Any]:
    """Answers to the surveys a resolved case triggered (scores only)."""
    return _found(await reads.case_answers(case_id), "no answers about this yet")


@router.get("/surveys/response-rates")
async def response_rates(
    reads: Reads,
    kind: Annotated[SurveyKind | None, Query()] = None,
    segment: Annotated[Segment, Query()] = Segment.ALL,
) -> list[ResponseRate]:
    """Answered ÷ requested, per survey kind and segment value."""
    rates = await reads.response_rates(segment=segment.value, kind=kind.value if kind else None)
    return [ResponseRate(**rate) for rate in rates]


@router.get("/surveys/kinds")
async def answers_by_kind(reads: Reads) -> list[dict[str, Any]]:
    """Answer count, score distribution and (NPS) categories per survey kind; anonymous."""
    return await reads.answers_by_kind()


def _found(document: dict[str, Any] | None, missing: str) -> dict[str, Any]:
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
    return document
