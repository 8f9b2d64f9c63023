"""The consumer's use case: contact and notification events in, survey decisions out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport_feedback.domain.contact import ContactFeedback
from rapport_feedback.domain.decisions import decide
from rapport_feedback.domain.outcome import DecisionContext
from rapport_feedback.domain.policy import SurveyRules
from rapport_feedback.service_layer.ports import (
    ContactFeedbackStore,
    EventCounter,
    SurveyStore,
)
from rapport_kit.clock import Clock
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import ContactsMerged
from rapport_schemas.notifications import NotificationSent


@dataclass
class SurveyDesk:
    """Decides surveys for a batch of events; safe to call again with the same batch."""

    contacts: ContactFeedbackStore
    surveys: SurveyStore
    rules: SurveyRules
    clock: Clock
    token_ttl: timedelta
    remembered_triggers: int
    metrics: EventCounter
    produce_v1_events: bool = False

    async def decide(self, events: Sequence[CloudEvent[EventData]]) -> None:
        loaded = await self.contacts.load(_contacts_touched(events))
        now = self.clock()
        states: dict[str, ContactFeedback] = {key: state for key, (state, _) in loaded.items()}
        outcome = decide(states, events, self._context(now))
        # The survey records exist before any event announcing them can be published.
        await self.surveys.register(outcome.surveys)
        await self.contacts.save(outcome, loaded)
        await self.surveys.reassign_open(outcome.merged)
        await self.surveys.withdraw_open(outcome.erased)
        if outcome.erased:  # after the withdrawal: no comment can be added behind the tombstones
            await self.surveys.erase_comments(await self.contacts.absorbed_into(outcome.erased))
        emitted = [e for events in outcome.emitted.values() for e in events]
        self.metrics.observe(e.data for e in emitted if e.rapportcopyof is None)  # not v1 copies

    def _context(self, now: datetime) -> DecisionContext:
        return DecisionContext(
            rules=self.rules,
            now=now,
            token_ttl=self.token_ttl,
            remembered_triggers=self.remembered_triggers,
            produce_v1_events=self.produce_v1_events,
        )


def _contacts_touched(events: Sequence[CloudEvent[EventData]]) -> set[str]:
    touched: set[str] = set()
    for event in events:
        data = event.data
        touched.add(event.subject)
        if isinstance(data, ContactsMerged):
            touched.add(data.survivor_id)
        if isinstance(data, NotificationSent):
            touched.add(data.contact_id)
    return touched
