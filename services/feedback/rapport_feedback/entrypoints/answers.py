"""Public answer intake: the token in the survey link is the credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from rapport_feedback.domain.answers import (
    COMMENT_MAX_CHARS,
    Answer,
    AnswerRejected,
    ScoreOutOfRange,
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyNotFound,
)
from rapport_feedback.service_layer.answering import AnswerIntake
from rapport_schemas.feedback import SurveyKind

router = APIRouter(prefix="/surveys", tags=["answers"])

STATUS = {
    SurveyNotFound: status.HTTP_404_NOT_FOUND,
    SurveyAlreadyAnswered: status.HTTP_409_CONFLICT,
    SurveyExpired: status.HTTP_410_GONE,
}


class AnswerSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=128, description="From the survey link.")
    score: int = Field(description="NPS 0–10, CSAT 1–5, CES 1–7.")
    comment: str | None = Field(default=None, max_length=COMMENT_MAX_CHARS)


class AnswerAccepted(BaseModel):
    survey_id: str
    kind: SurveyKind
    score: int


def intake(request: Request) -> AnswerIntake:
    answers: AnswerIntake = request.app.state.answers
    return answers


@router.post(
    "/answers",
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {"description": "No survey has this token."},
        409: {"description": "The survey was already answered."},
        410: {"description": "The link expired or was withdrawn (erased contact)."},
        422: {"description": "Score outside the survey's range, or comment too long."},
    },
    summary="Answer a survey once, with the token from its link",
)
async def answer_survey(
    submission: AnswerSubmission, answers: Annotated[AnswerIntake, Depends(intake)]
) -> AnswerAccepted:
    """Public: the token is the credential. Nothing is stored when the answer is refused."""
    answer = Answer(score=submission.score, comment=submission.comment)
    try:
        answered = await answers.submit(submission.token, answer)
    except ScoreOutOfRange as error:
        detail = [{"loc": ["body", "score"], "msg": str(error), "type": "score_out_of_range"}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
    except AnswerRejected as error:
        code = next(code for kind, code in STATUS.items() if isinstance(error, kind))
        raise HTTPException(code, str(error)) from None
    return AnswerAccepted(survey_id=answered.survey_id, kind=answered.kind, score=answered.score)
