"""Queries over the feedback read models: a contact's feedback, answers about an interaction or
a case, response rates and the distribution per survey kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport_feedback.service_layer.ports import FeedbackViewReader
from rapport_feedback.views.aggregates import interaction_key

MAX_MERGE_HOPS = 8


@dataclass(frozen=True)
class FeedbackReads:
    views: FeedbackViewReader

    async def contact_feedback(self, contact_id: str) -> dict[str, Any] | None:
        """A merged contact shows its survivor's feedback."""
        document = None
        for _ in range(MAX_MERGE_HOPS):
            document = await self.views.by_contact(contact_id)
            if document is None or not document.get("merged_into"):
                break
            contact_id = document["merged_into"]
        return document

    async def interaction_answers(self, interaction_id: str) -> dict[str, Any] | None:
        return await self.views.answers_about(interaction_key("interaction", interaction_id))

    async def case_answers(self, case_id: str) -> dict[str, Any] | None:
        return await self.views.answers_about(interaction_key("case", case_id))

    async def response_rates(self, *, segment: str, kind: str | None) -> list[dict[str, Any]]:
        """Answered ÷ requested; ``None`` while nothing was requested."""
        rates = await self.views.response_rates(segment=segment, kind=kind)
        return [{**rate, "rate": _ratio(rate["answered"], rate["requested"])} for rate in rates]

    async def answers_by_kind(self) -> list[dict[str, Any]]:
        return await self.views.answers_by_kind()


def _ratio(answered: int, requested: int) -> float | None:
    return answered / requested if requested else None
