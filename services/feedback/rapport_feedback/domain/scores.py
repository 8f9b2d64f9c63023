"""Score ranges and classification of survey answers.

NPS categories follow Bain & Company's definition (https://www.netpromoter.com/know/): promoters
answer 9–10, passives 7–8, detractors 0–6. CSAT uses a 1–5 scale and CES a 1–7 scale.
"""

from __future__ import annotations

from enum import StrEnum

from rapport_schemas.feedback import DetractorReason, SurveyKind

SCORE_RANGES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}
LOWEST_SATISFIED_CSAT = 3


class NpsCategory(StrEnum):
    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def score_in_range(kind: SurveyKind, score: int) -> bool:
    lowest, highest = SCORE_RANGES[kind]
    return lowest <= score <= highest


def nps_category(score: int) -> NpsCategory:
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


def detractor_reason(kind: SurveyKind, score: int) -> DetractorReason | None:
    """Why an answer needs a follow-up with the customer, if it does."""
    if kind is SurveyKind.NPS and nps_category(score) is NpsCategory.DETRACTOR:
        return DetractorReason.NPS_DETRACTOR
    if kind is SurveyKind.CSAT and score < LOWEST_SATISFIED_CSAT:
        return DetractorReason.LOW_CSAT
    return None
