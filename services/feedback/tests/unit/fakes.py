"""In-memory implementations of every port in ``service_layer/ports.py`` (cosmicpython's
``FakeRepository``): the same contract as the MongoDB adapters, kept in dictionaries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rapport_feedback.domain.answers import Survey
from rapport_feedback.domain.contact import ContactFeedback
from rapport_feedback.domain.outcome import IssuedSurvey, Outcome
from rapport_feedback.service_layer.ports import Loaded
from rapport_kit.errors import TransientError
from rapport_schemas import CloudEvent, EventData, topics
from rapport_schemas.feedback import survey_comment_key


class FakeContactFeedbackStore:
    """Versions checked like the conditional bulk write; each contact's outbox kept in a list."""

    def __init__(self) -> None:
        self.states: dict[str, tuple[ContactFeedback, int]] = {}
        self.outbox: dict[str, list[CloudEvent[Any]]] = {}

    async def load(self, contact_ids: Iterable[str]) -> Loaded:
        """The contacts and, transitively, the survivors they were merged into."""
        loaded: Loaded = {}
        wanted = set(contact_ids)
        while wanted:
            loaded.update({c: self.states[c] for c in wanted if c in self.states})
            survivors = {s.merged_into for s, _ in loaded.values() if s.merged_into}
            wanted = survivors - loaded.keys()
        return loaded

    async def save(self, outcome: Outcome, loaded: Loaded) -> None:
        for contact_id in sorted(outcome.changed):
            version = loaded.get(contact_id, (None, 0))[1]
            if self.states.get(contact_id, (None, 0))[1] != version:
                raise TransientError("contact feedback changed concurrently")
        for contact_id in sorted(outcome.changed):
            version = loaded.get(contact_id, (None, 0))[1]
            self.states[contact_id] = (outcome.current(contact_id), version + 1)
            self.outbox.setdefault(contact_id, []).extend(outcome.emitted.get(contact_id, []))

    async def absorbed_into(self, contact_ids: Iterable[str]) -> set[str]:
        found = set(contact_ids)
        while True:
            more = {c for c, (s, _) in self.states.items() if s.merged_into in found} - found
            if not more:
                return found
            found |= more

    def events(self, contact_id: str) -> list[Any]:
        return [envelope.data for envelope in self.outbox.get(contact_id, [])]

    def state(self, contact_id: str) -> ContactFeedback:
        return self.states[contact_id][0]


class FakeSurveyStore:
    def __init__(self) -> None:
        self.surveys: dict[str, Survey] = {}
        self.outbox: dict[str, list[CloudEvent[Any]]] = {}
        self.comments: dict[str, str] = {}  # survey id → who wrote its comment
        self.tombstones: dict[str, list[tuple[str, str]]] = {}  # survey id → (topic, key)
        self.erased_at: list[datetime] = []  # when each comment tombstone was queued
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def register(self, issued: Sequence[IssuedSurvey]) -> None:
        """An upsert on the survey id; a later expiry announced again is kept."""
        for survey in issued:
            request = survey.request
            known = self.surveys.get(request.survey_id)
            if known is not None:
                expires_at = max(known.expires_at, request.expires_at)
                self.surveys[request.survey_id] = dataclasses.replace(known, expires_at=expires_at)
                continue
            self.surveys[request.survey_id] = Survey(
                survey_id=request.survey_id,
                contact_id=request.contact_id,
                kind=request.kind,
                channel=request.channel,
                language=request.language,
                country=request.country,
                requested_at=request.requested_at,
                expires_at=request.expires_at,
                interaction_id=request.interaction_id,
                case_id=request.case_id,
            )

    async def find(self, survey_id: str) -> Survey | None:
        return self.surveys.get(survey_id)

    async def record_answer(
        self,
        survey_id: str,
        events: Sequence[CloudEvent[Any]],
        now: datetime,
        commenter: str | None = None,
    ) -> bool:
        survey = self.surveys.get(survey_id)
        if survey is None or survey.used or survey.withdrawn:
            return False
        self.surveys[survey_id] = dataclasses.replace(survey, used=True)
        self.outbox.setdefault(survey_id, []).extend(events)
        if commenter is not None:
            self.comments[survey_id] = commenter
        return True

    async def erase_comments(self, commenters: Iterable[str]) -> int:
        erasing = set(commenters)
        erased = 0
        for survey_id, commenter in sorted(self.comments.items()):
            if commenter in erasing and survey_id not in self.tombstones:
                key = survey_comment_key(commenter, survey_id)
                self.tombstones[survey_id] = [(topics.FEEDBACK_PERSONAL, key)]
                self.erased_at.append(self.clock())
                erased += 1
        return erased

    async def last_comment_erasure(self) -> datetime | None:
        return max(self.erased_at, default=None)

    async def reassign_open(self, survivors: Mapping[str, str]) -> None:
        for survey_id, survey in list(self.surveys.items()):
            if not survey.used and survey.contact_id in survivors:
                survivor = survivors[survey.contact_id]
                self.surveys[survey_id] = dataclasses.replace(survey, contact_id=survivor)

    async def withdraw_open(self, contact_ids: Iterable[str]) -> None:
        erased = set(contact_ids)
        for survey_id, survey in list(self.surveys.items()):
            if not survey.used and survey.contact_id in erased:
                self.surveys[survey_id] = dataclasses.replace(survey, withdrawn=True)

    def events(self, survey_id: str) -> list[Any]:
        return [envelope.data for envelope in self.outbox.get(survey_id, [])]


class FakeEventCounter:
    def __init__(self) -> None:
        self.observed: list[EventData] = []

    def observe(self, events: Iterable[EventData]) -> None:
        self.observed.extend(events)

    def kinds(self) -> list[str]:
        return [type(data).__name__ for data in self.observed]


class FakeFeedbackViews:
    def __init__(self) -> None:
        self.by_contact_documents: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.rates: list[dict[str, Any]] = []
        self.kinds: list[dict[str, Any]] = []

    async def by_contact(self, contact_id: str) -> dict[str, Any] | None:
        return self.by_contact_documents.get(contact_id)

    async def answers_about(self, key: str) -> dict[str, Any] | None:
        return self.answers.get(key)

    async def response_rates(self, *, segment: str, kind: str | None) -> list[dict[str, Any]]:
        found = [r for r in self.rates if r["segment"] == segment and kind in (None, r["kind"])]
        return sorted(found, key=lambda r: (r["kind"], r["value"]))

    async def answers_by_kind(self) -> list[dict[str, Any]]:
        return sorted(self.kinds, key=lambda k: k["kind"])


class FakePersonalTopic:
    def __init__(self, partitions: int = 3) -> None:
        self.partitions = partitions
        self.rolls = 0

    async def roll(self) -> int:
        self.rolls += 1
        return self.partitions
