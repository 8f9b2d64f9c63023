"""Anonymous feedback aggregates: answers per survey kind and per interaction or case.

They hold scores, never comments, so an erasure leaves nothing to remove here.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport_feedback.domain.scores import nps_category
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.feedback import SurveyAnswered, SurveyKind


class AnswersByKind:
    collection = "answers_by_kind"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        return (data.kind.value,) if isinstance(data, SurveyAnswered) else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data = received.data
        assert isinstance(data, SurveyAnswered)
        current = state or {"kind": key, "answered": 0, "score_sum": 0, "scores": {}}
        scores = dict(current["scores"])
        scores[str(data.score)] = scores.get(str(data.score), 0) + 1
        evolved = {
            **current,
            "answered": current["answered"] + 1,
            "score_sum": current["score_sum"] + data.score,
            "scores": scores,
        }
        if data.kind is SurveyKind.NPS:
            categories = dict(current.get("nps_categories", {}))
            category = nps_category(data.score).value
            categories[category] = categories.get(category, 0) + 1
            evolved["nps_categories"] = categories
        return evolved


def interaction_key(kind: str, entity_id: str) -> str:
    return f"{kind}:{entity_id}"


class AnswersByInteraction:
    """Answers about one interaction (NPS after it) or one case (CSAT/CES after resolution)."""

    collection = "answers_by_interaction"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if not isinstance(data, SurveyAnswered):
            return ()
        keys = [interaction_key("interaction", data.interaction_id)] if data.interaction_id else []
        return [*keys, interaction_key("case", data.case_id)] if data.case_id else keys

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data = received.data
        assert isinstance(data, SurveyAnswered)
        kind, entity_id = key.split(":", maxsplit=1)
        current = state or {"concerns": kind, "id": entity_id, "answers": []}
        answer = {
            "survey_id": data.survey_id,
            "kind": data.kind.value,
            "score": data.score,
            "answered_at": data.answered_at,
        }
        return {**current, "answers": [*current["answers"], answer]}
