"""What the use cases need from the world; ``adapters/`` implements these on MongoDB."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from rapport_feedback.domain.answers import Survey
from rapport_feedback.domain.contact import ContactFeedback
from rapport_feedback.domain.outcome import IssuedSurvey, Outcome
from rapport_schemas import CloudEvent, EventData

Loaded = dict[str, tuple[ContactFeedback, int]]


class EventCounter(Protocol):
    def observe(self, events: Iterable[EventData]) -> None: ...


class ContactFeedbackStore(Protocol):
    async def load(self, contact_ids: Iterable[str]) -> Loaded: ...

    async def save(self, outcome: Outcome, loaded: Loaded) -> None: ...


class SurveyStore(Protocol):
    async def register(self, issued: Sequence[IssuedSurvey]) -> None: ...

    async def find(self, survey_id: str) -> Survey | None: ...

    async def record_answer(
        self, survey_id: str, events: Sequence[CloudEvent[Any]], now: datetime
    ) -> bool: ...

    async def reassign_open(self, survivors: Mapping[str, str]) -> None: ...

    async def withdraw_open(self, contact_ids: Iterable[str]) -> None: ...


class FeedbackViewReader(Protocol):
    """The read models folded by the views consumer, without their bookkeeping fields."""

    async def by_contact(self, contact_id: str) -> dict[str, Any] | None: ...

    async def answers_about(self, key: str) -> dict[str, Any] | None: ...

    async def response_rates(self, *, segment: str, kind: str | None) -> list[dict[str, Any]]:
        """Ordered by kind, then segment value."""
        ...

    async def answers_by_kind(self) -> list[dict[str, Any]]:
        """Ordered by kind."""
        ...
