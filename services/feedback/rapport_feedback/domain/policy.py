"""Survey policy: which surveys a trigger earns a contact, if any. Pure.

The rules come from the seeds' advice to ask right after a support case is closed (CSAT, CES), to
take the relationship pulse (NPS) only now and then, and never to flood a customer: a fatigue cap
on surveys and one contact-pressure budget shared with the notifications service.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from rapport_feedback.domain.contact import ContactFeedback, CountedMessage
from rapport_schemas.common import Channel
from rapport_schemas.contacts import InteractionKind
from rapport_schemas.feedback import SurveyKind

# Channels a survey link can travel on, in fallback order after the preferred one.
SURVEY_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.IN_APP)


class TriggerKind(StrEnum):
    CASE_RESOLVED = "case_resolved"
    INTERACTION = "interaction"
    PURCHASE = "purchase"


@dataclass(frozen=True)
class Trigger:
    event_id: str
    kind: TriggerKind
    interaction_kind: InteractionKind | None = None
    interaction_id: str | None = None
    case_id: str | None = None


@dataclass(frozen=True)
class SurveyRules:
    nps_interval: timedelta = timedelta(days=90)
    nps_after_interaction: bool = True
    nps_after_purchase: bool = True
    fatigue_cap: int = 2
    fatigue_window: timedelta = timedelta(days=30)
    pressure_cap: int = 3
    pressure_window: timedelta = timedelta(days=7)
    case_kinds: frozenset[InteractionKind] = frozenset(
        {InteractionKind.SUPPORT, InteractionKind.COMPLAINT}
    )


@dataclass(frozen=True)
class PlannedSurvey:
    kind: SurveyKind
    channel: Channel
    language: str


def plan_surveys(
    state: ContactFeedback, trigger: Trigger, rules: SurveyRules, now: datetime
) -> tuple[PlannedSurvey, ...]:
    """The surveys to request now; empty when consent, caps or the contact's state forbid."""
    channel = survey_channel(state)
    if state.erased or state.merged_into or channel is None or state.language is None:
        return ()
    wanted = _wanted_kinds(state, trigger, rules, now)
    allowed = min(_fatigue_left(state, rules, now), _pressure_left(state, rules, now))
    return tuple(PlannedSurvey(kind, channel, state.language) for kind in wanted[: max(allowed, 0)])


def survey_channel(state: ContactFeedback) -> Channel | None:
    """The preferred channel if consented, else the first consented survey channel."""
    consented = [c for c in SURVEY_CHANNELS if (mark := state.consents.get(c)) and mark.granted]
    if state.preferred_channel in consented:
        return state.preferred_channel
    return consented[0] if consented else None


def nps_due(state: ContactFeedback, rules: SurveyRules, now: datetime) -> bool:
    return state.last_nps_at is None or now - state.last_nps_at >= rules.nps_interval


def recording_requests(
    state: ContactFeedback, trigger_id: str, requested: list[tuple[str, SurveyKind]], now: datetime
) -> ContactFeedback:
    """The contact after a decision: the trigger is remembered even when nothing was asked."""
    asked_nps = any(kind is SurveyKind.NPS for _, kind in requested)
    return replace(
        state,
        surveys=(*state.surveys, *(CountedMessage(survey_id, now) for survey_id, _ in requested)),
        last_nps_at=now if asked_nps else state.last_nps_at,
        handled_triggers=(*state.handled_triggers, trigger_id),
    )


def _wanted_kinds(
    state: ContactFeedback, trigger: Trigger, rules: SurveyRules, now: datetime
) -> tuple[SurveyKind, ...]:
    if trigger.kind is TriggerKind.CASE_RESOLVED:
        fits = trigger.interaction_kind in rules.case_kinds
        return (SurveyKind.CSAT, SurveyKind.CES) if fits else ()
    # A complaint is followed up as a detractor, not answered with a relationship survey.
    if trigger.kind is TriggerKind.PURCHASE:
        enabled = rules.nps_after_purchase
    else:
        complaint = trigger.interaction_kind is InteractionKind.COMPLAINT
        enabled = rules.nps_after_interaction and not complaint
    return (SurveyKind.NPS,) if enabled and nps_due(state, rules, now) else ()


def _fatigue_left(state: ContactFeedback, rules: SurveyRules, now: datetime) -> int:
    since = now - rules.fatigue_window
    return rules.fatigue_cap - sum(1 for survey in state.surveys if survey.at > since)


def _pressure_left(state: ContactFeedback, rules: SurveyRules, now: datetime) -> int:
    """Surveys and non-transactional notifications draw on one budget (cross-service agreement)."""
    since = now - rules.pressure_window
    sent = [m for m in (*state.surveys, *state.notifications) if m.at > since]
    return rules.pressure_cap - len(sent)
