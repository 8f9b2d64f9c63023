"""Answer intake rules: a token opens one survey once, before it expires, with a valid score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport_feedback.domain.scores import SCORE_RANGES, detractor_reason, score_in_range
from rapport_schemas.common import Channel
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyComment, SurveyKind

COMMENT_MAX_CHARS = 1000


@dataclass(frozen=True)
class Survey:
    survey_id: str
    contact_id: str
    kind: SurveyKind
    channel: Channel
    language: str | None
    country: str | None
    requested_at: datetime
    expires_at: datetime
    interaction_id: str | None = None
    case_id: str | None = None
    used: bool = False
    withdrawn: bool = False


@dataclass(frozen=True)
class Answer:
    score: int
    comment: str | None = None


@dataclass(frozen=True)
class Respondent:
    """Who answers now: the survey's contact, or the survivor it was merged into."""

    contact_id: str
    account_owner: str | None = None


class AnswerRejected(Exception):
    """An answer that is not accepted; nothing is stored."""


class SurveyNotFound(AnswerRejected):
    pass


class SurveyAlreadyAnswered(AnswerRejected):
    pass


class SurveyExpired(AnswerRejected):
    pass


class SurveyWithdrawn(SurveyExpired):
    """The contact was erased (or the survey otherwise withdrawn): the link no longer works."""


class ScoreOutOfRange(AnswerRejected):
    pass


def ensure_open(survey: Survey, now: datetime) -> None:
    """Raises the ``AnswerRejected`` that explains why ``survey`` takes no answer now."""
    if survey.used:
        raise SurveyAlreadyAnswered("this survey was already answered")
    if survey.withdrawn:
        raise SurveyWithdrawn("this survey was withdrawn")
    if now >= survey.expires_at:
        raise SurveyExpired("this survey link has expired")


@dataclass(frozen=True)
class AcceptedAnswer:
    """What an accepted answer publishes: the answer, a detractor if the customer is unhappy, and
    the comment (personal data, on its own topic) if there is one."""

    answered: SurveyAnswered
    detractor: DetractorDetected | None = None
    comment: SurveyComment | None = None

    def events(self) -> tuple[EventData, ...]:
        """In publishing order (the comment, on another topic, last: the survey's stream numbers
        the answer 1 and the detractor 2, as before comments moved)."""
        return tuple(e for e in (self.answered, self.detractor, self.comment) if e is not None)


def accept_answer(
    survey: Survey, answer: Answer, respondent: Respondent, now: datetime
) -> AcceptedAnswer:
    """The events of an accepted answer, or a rejection (an ``AnswerRejected``)."""
    ensure_open(survey, now)
    if not score_in_range(survey.kind, answer.score):
        lowest, highest = SCORE_RANGES[survey.kind]
        raise ScoreOutOfRange(f"{survey.kind.value} scores range from {lowest} to {highest}")
    has_comment = bool(answer.comment)
    comment = None
    if answer.comment:
        comment = SurveyComment(
            contact_id=respondent.contact_id,
            survey_id=survey.survey_id,
            comment=answer.comment,
            answered_at=now,
        )
    answered = _answered(survey, answer, respondent, now, has_comment=has_comment)
    reason = detractor_reason(survey.kind, answer.score)
    if reason is None:
        return AcceptedAnswer(answered, comment=comment)
    detractor = DetractorDetected(
        contact_id=respondent.contact_id,
        reason=reason,
        detected_at=now,
        score=answer.score,
        survey_id=survey.survey_id,
        interaction_id=survey.interaction_id,
        case_id=survey.case_id,
        kind=survey.kind,
        account_owner=respondent.account_owner,
        has_comment=has_comment,
    )
    return AcceptedAnswer(answered, detractor, comment)


def _answered(
    survey: Survey, answer: Answer, respondent: Respondent, now: datetime, *, has_comment: bool
) -> SurveyAnswered:
    return SurveyAnswered(
        survey_id=survey.survey_id,
        contact_id=respondent.contact_id,
        kind=survey.kind,
        score=answer.score,
        answered_at=now,
        requested_at=survey.requested_at,
        channel=survey.channel,
        interaction_id=survey.interaction_id,
        case_id=survey.case_id,
        language=survey.language,
        country=survey.country,
        has_comment=has_comment,
    )
