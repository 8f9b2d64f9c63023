"""Builders for the feedback unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_feedback.domain.contact import ChannelConsent, ContactFeedback, CountedMessage
from rapport_feedback.domain.outcome import DecisionContext
from rapport_feedback.domain.policy import SurveyRules
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.common import Channel

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def reachable(contact_id: str = "c1", **changes: object) -> ContactFeedback:
    """A registered contact who consented to e-mail."""
    state = ContactFeedback(
        contact_id=contact_id,
        language="tr-TR",
        country="TR",
        preferred_channel=Channel.EMAIL,
        consents={Channel.EMAIL: ChannelConsent(True, days_ago(100))},
    )
    return ContactFeedback(**{**state.__dict__, **changes})  # type: ignore[arg-type]


def counted(count: int, *, days: float, prefix: str = "m") -> tuple[CountedMessage, ...]:
    return tuple(CountedMessage(f"{prefix}{i}", days_ago(days)) for i in range(count))


def context(rules: SurveyRules | None = None, now: datetime = NOW) -> DecisionContext:
    return DecisionContext(rules=rules or SurveyRules(), now=now)


def event(data: EventData, event_id: str) -> CloudEvent[EventData]:
    envelope: CloudEvent[EventData] = wrap(data, source="/test", event_id=event_id, time=NOW)
    return envelope
