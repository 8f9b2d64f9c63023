"""Each contact's latest NPS category, folded from the feedback events notifications already
consumes (SurveyAnswered of kind NPS); campaigns target by it ("promoters in TR")."""

from __future__ import annotations

from datetime import datetime

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_notifications.domain.campaigns import nps_category
from rapport_schemas.contacts import ContactErased
from rapport_schemas.feedback import SurveyAnswered, SurveyKind

NPS_ANSWERS = "nps_answers"


class NpsProjection:
    collection = NPS_ANSWERS

    def keys(self, projected: ProjectedEvent) -> list[str]:
        data = projected.data
        if isinstance(data, SurveyAnswered) and data.kind is SurveyKind.NPS:
            return [data.contact_id]
        return [data.contact_id] if isinstance(data, ContactErased) else []

    def evolve(
        self, state: Document | None, projected: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data = projected.data
        if isinstance(data, ContactErased):
            return {"erased": True}
        if not isinstance(data, SurveyAnswered):
            return state or {}
        known: datetime | None = (state or {}).get("answered_at")
        if (state or {}).get("erased") or (known is not None and data.answered_at < known):
            return state or {}  # an older answer arriving late changes nothing
        return {"category": nps_category(data.score).value, "answered_at": data.answered_at}
