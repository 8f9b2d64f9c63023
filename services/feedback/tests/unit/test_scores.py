from rapport_feedback.domain.scores import (
    NpsCategory,
    detractor_reason,
    nps_category,
    score_in_range,
)
from rapport_schemas.feedback import DetractorReason, SurveyKind


def test_nps_categories_at_their_boundaries() -> None:
    assert nps_category(0) is NpsCategory.DETRACTOR
    assert nps_category(6) is NpsCategory.DETRACTOR
    assert nps_category(7) is NpsCategory.PASSIVE
    assert nps_category(8) is NpsCategory.PASSIVE
    assert nps_category(9) is NpsCategory.PROMOTER
    assert nps_category(10) is NpsCategory.PROMOTER


def test_an_nps_detractor_needs_a_follow_up_a_passive_does_not() -> None:
    assert detractor_reason(SurveyKind.NPS, 6) is DetractorReason.NPS_DETRACTOR
    assert detractor_reason(SurveyKind.NPS, 7) is None


def test_csat_of_two_or_less_needs_a_follow_up_three_does_not() -> None:
    assert detractor_reason(SurveyKind.CSAT, 1) is DetractorReason.LOW_CSAT
    assert detractor_reason(SurveyKind.CSAT, 2) is DetractorReason.LOW_CSAT
    assert detractor_reason(SurveyKind.CSAT, 3) is None


def test_a_low_ces_score_is_effortless_not_a_detractor() -> None:
    assert all(detractor_reason(SurveyKind.CES, score) is None for score in range(1, 8))


def test_score_ranges_per_kind() -> None:
    assert [s for s in range(-2, 13) if score_in_range(SurveyKind.NPS, s)] == list(range(11))
    assert [s for s in range(-2, 13) if score_in_range(SurveyKind.CSAT, s)] == [1, 2, 3, 4, 5]
    assert [s for s in range(-2, 13) if score_in_range(SurveyKind.CES, s)] == list(range(1, 8))
