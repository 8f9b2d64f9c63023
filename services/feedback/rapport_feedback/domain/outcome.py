"""What deciding on a batch produces, and the ids it derives from its triggers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapport_feedback.domain.contact import ContactFeedback
from rapport_feedback.domain.policy import SurveyRules
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.feedback import SurveyRequested

SOURCE = "/rapport/feedback"
ID_NAMESPACE = uuid.UUID("5b0f3c1e-8d7a-4f7e-9a51-0f6f2c9d4e11")
MAX_MERGE_HOPS = 8


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class DecisionContext:
    rules: SurveyRules
    now: datetime
    token_ttl: timedelta = timedelta(days=14)
    remembered_triggers: int = 100
    produce_v1_events: bool = False


@dataclass(frozen=True)
class IssuedSurvey:
    request: SurveyRequested


@dataclass
class Outcome:
    """What a batch changes: contact states, surveys issued, events to emit per contact."""

    states: dict[str, ContactFeedback]
    changed: set[str] = field(default_factory=set)
    surveys: list[IssuedSurvey] = field(default_factory=list)
    emitted: dict[str, list[CloudEvent[EventData]]] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    merged: dict[str, str] = field(default_factory=dict)  # absorbed → survivor

    def current(self, contact_id: str) -> ContactFeedback:
        return self.states.get(contact_id) or ContactFeedback(contact_id=contact_id)

    def target(self, contact_id: str) -> str:
        """Where a contact's events go now: merged contacts forward to their survivor."""
        for _ in range(MAX_MERGE_HOPS):
            survivor = self.current(contact_id).merged_into
            if survivor is None:
                break
            contact_id = survivor
        return contact_id

    def store(self, state: ContactFeedback) -> None:
        if state != self.current(state.contact_id):
            self.states[state.contact_id] = state
            self.changed.add(state.contact_id)

    def emit(self, contact_id: str, event: CloudEvent[EventData]) -> None:
        self.emitted.setdefault(contact_id, []).append(event)
        self.changed.add(contact_id)
