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

    async def absorbed_into(self, contact_ids: Iterable[str]) -> set[str]:
        """``contact_ids`` and every contact merged into one of them, however many hops back."""
        ...


class SurveyStore(Protocol):
    async def register(self, issued: Sequence[IssuedSurvey]) -> None: ...

    async def find(self, survey_id: str) -> Survey | None: ...

    async def record_answer(
        self,
        survey_id: str,
        events: Sequence[CloudEvent[Any]],
        now: datetime,
        commenter: str | None = None,
    ) -> bool:
        """Marks the survey answered with ``events`` queued, unless it is answered or withdrawn;
        ``commenter``: who wrote a comment, whose erasure will tombstone it."""
        ...

    async def reassign_open(self, survivors: Mapping[str, str]) -> None: ...

    async def withdraw_open(self, contact_ids: Iterable[str]) -> None: ...

    async def erase_comments(self, commenters: Iterable[str]) -> int:
        """Queues a tombstone for every comment these contacts wrote and no tombstone erased yet;
        returns how many."""
        ...

    async def last_comment_erasure(self) -> datetime | None:
        """When the latest comment tombstone was queued (None: never)."""
        ...


class PersonalTopic(Protocol):
    async def roll(self) -> int:
        """Appends a roll tombstone to each partition; returns how many."""
        ...


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
