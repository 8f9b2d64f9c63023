from datetime import timedelta

import pytest

from rapport_feedback.domain.answers import (
    Answer,
    Respondent,
    ScoreOutOfRange,
    Survey,
    SurveyAlreadyAnswered,
    SurveyExpired,
    accept_answer,
)
from rapport_schemas import topics
from rapport_schemas.common import Channel
from rapport_schemas.feedback import DetractorDetected, DetractorReason, SurveyComment, SurveyKind
from services.feedback.tests.unit.factories import NOW, days_ago

RESPONDENT = Respondent("c2", account_owner="agent-7")


def survey(kind: SurveyKind = SurveyKind.NPS, **changes: object) -> Survey:
    fields: dict[str, object] = {
        "survey_id": "s1",
        "contact_id": "c1",
        "kind": kind,
        "channel": Channel.EMAIL,
        "language": "tr-TR",
        "country": "TR",
        "requested_at": days_ago(1),
        "expires_at": NOW + timedelta(days=13),
        "case_id": "case-1",
    }
    return Survey(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_promoter_answer_is_recorded_and_its_comment_goes_apart() -> None:
    accepted = accept_answer(survey(), Answer(9, "Harika"), RESPONDENT, NOW)
    answered = accepted.answered
    assert (answered.contact_id, answered.score, answered.has_comment, answered.language) == (
        "c2",
        9,
        True,
        "tr-TR",
    )
    assert "comment" not in answered.model_dump() and accepted.detractor is None
    comment = accepted.comment
    assert isinstance(comment, SurveyComment)
    assert (comment.contact_id, comment.survey_id, comment.comment, comment.answered_at) == (
        "c2",
        "s1",
        "Harika",
        NOW,
    )
    assert comment.partition_key() == "c2:survey:s1"
    assert comment.topic == topics.FEEDBACK_PERSONAL
    assert accepted.events() == (answered, comment)


def test_a_detractor_answer_raises_a_follow_up_for_the_account_owner() -> None:
    accepted = accept_answer(survey(), Answer(6, "Yavaş"), RESPONDENT, NOW)
    detected = accepted.detractor
    assert isinstance(detected, DetractorDetected)
    assert (detected.reason, detected.score, detected.has_comment, detected.account_owner) == (
        DetractorReason.NPS_DETRACTOR,
        6,
        True,
        "agent-7",
    )
    assert "comment" not in detected.model_dump()
    assert (detected.survey_id, detected.case_id, detected.kind) == ("s1", "case-1", SurveyKind.NPS)
    assert [type(e).__name__ for e in accepted.events()] == [
        "SurveyAnswered",
        "DetractorDetected",
        "SurveyComment",
    ]


def test_low_csat_raises_a_follow_up_and_no_comment_publishes_none() -> None:
    accepted = accept_answer(survey(SurveyKind.CSAT), Answer(2), RESPONDENT, NOW)
    assert [type(e).__name__ for e in accepted.events()] == ["SurveyAnswered", "DetractorDetected"]
    assert accepted.answered.has_comment is False
    assert accepted.detractor is not None and accepted.detractor.has_comment is False
    assert accept_answer(survey(SurveyKind.CSAT), Answer(3), RESPONDENT, NOW).events() == (
        accept_answer(survey(SurveyKind.CSAT), Answer(3), RESPONDENT, NOW).answered,
    )


@pytest.mark.parametrize(
    ("kind", "score"),
    [
        (SurveyKind.NPS, 11),
        (SurveyKind.NPS, -1),
        (SurveyKind.CSAT, 0),
        (SurveyKind.CSAT, 6),
        (SurveyKind.CES, 0),
        (SurveyKind.CES, 8),
    ],
)
def test_scores_outside_the_kind_s_range_are_refused(kind: SurveyKind, score: int) -> None:
    with pytest.raises(ScoreOutOfRange):
        accept_answer(survey(kind), Answer(score), RESPONDENT, NOW)


def test_a_used_expired_or_withdrawn_survey_is_refused() -> None:
    with pytest.raises(SurveyAlreadyAnswered):
        accept_answer(survey(used=True), Answer(9), RESPONDENT, NOW)
    with pytest.raises(SurveyExpired):
        accept_answer(survey(expires_at=NOW), Answer(9), RESPONDENT, NOW)
    with pytest.raises(SurveyExpired):
        accept_answer(survey(withdrawn=True), Answer(9), RESPONDENT, NOW)
