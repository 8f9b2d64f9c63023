"""Fold a batch of contact and notification events into per-contact decisions. Pure.

Every emitted event and survey id is derived from the trigger's event id (uuid5), and each trigger
id is remembered in the contact's state, so a redelivered trigger decides nothing a second time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapport_feedback.domain import contact
from rapport_feedback.domain.contact import ContactFeedback, CountedMessage
from rapport_feedback.domain.outcome import (
    SOURCE,
    DecisionContext,
    IssuedSurvey,
    Outcome,
    derived_id,
)
from rapport_feedback.domain.policy import (
    PlannedSurvey,
    Trigger,
    TriggerKind,
    plan_surveys,
    recording_requests,
)
from rapport_feedback.domain.v1_copies import v1_copy
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
    PurchaseRecorded,
)
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorReason,
    SurveyKind,
    SurveyRequested,
)
from rapport_schemas.notifications import NotificationSent

# The invitation to a survey is counted once, as the survey itself (cross-service agreement).
SURVEY_INVITATION_TEMPLATE = "survey_invitation"


def decide(
    states: Mapping[str, ContactFeedback],
    events: Sequence[CloudEvent[EventData]],
    context: DecisionContext,
) -> Outcome:
    outcome = Outcome(states=dict(states))
    for event in events:
        _apply(outcome, event, context)
    for contact_id in outcome.changed:
        outcome.states[contact_id] = _bounded(outcome.current(contact_id), context)
    return outcome


def _apply(outcome: Outcome, event: CloudEvent[EventData], context: DecisionContext) -> None:
    data = event.data
    if isinstance(data, ContactRegistered):
        state = outcome.current(data.contact_id)
        state = contact.with_profile(state, data.profile, data.registered_at)
        outcome.store(contact.with_consents(state, data.consents))
    elif isinstance(data, ContactUpdated):
        state = outcome.current(data.contact_id)
        outcome.store(contact.with_profile(state, data.profile, data.updated_at))
    elif isinstance(data, ContactConsentChanged):
        outcome.store(contact.with_consents(outcome.current(data.contact_id), [data.consent]))
    elif isinstance(data, ContactsMerged):
        absorbed = outcome.current(data.contact_id)
        outcome.store(contact.absorbing(outcome.current(data.survivor_id), absorbed))
        outcome.store(contact.merged_into(absorbed, data.survivor_id))
        outcome.merged[data.contact_id] = data.survivor_id
    elif isinstance(data, ContactErased):
        outcome.store(contact.erased(outcome.current(data.contact_id)))
        outcome.erased.add(data.contact_id)
    elif isinstance(data, NotificationSent):
        _count_notification(outcome, data, context)
    else:
        trigger = _trigger(event)
        if trigger is not None:
            _decide_trigger(outcome, outcome.target(event.subject), trigger, event, context)


def _count_notification(outcome: Outcome, sent: NotificationSent, context: DecisionContext) -> None:
    counts = not (sent.transactional or sent.internal)
    counts = counts and sent.template != SURVEY_INVITATION_TEMPLATE
    if counts and sent.sent_at > context.now - context.rules.pressure_window:
        state = outcome.current(outcome.target(sent.contact_id))
        counted = CountedMessage(sent.notification_id, sent.sent_at)
        outcome.store(contact.with_notification(state, counted))


def _trigger(event: CloudEvent[EventData]) -> Trigger | None:
    data = event.data
    if isinstance(data, CaseResolved):
        return Trigger(event.id, TriggerKind.CASE_RESOLVED, data.kind, case_id=data.case_id)
    if isinstance(data, InteractionLogged):
        return Trigger(
            event.id, TriggerKind.INTERACTION, data.kind, data.interaction_id, data.case_id
        )
    if isinstance(data, PurchaseRecorded):
        return Trigger(event.id, TriggerKind.PURCHASE)
    return None


def _decide_trigger(
    outcome: Outcome,
    contact_id: str,
    trigger: Trigger,
    event: CloudEvent[EventData],
    context: DecisionContext,
) -> None:
    state = outcome.current(contact_id)
    if trigger.event_id in state.handled_triggers:
        return
    requested: list[tuple[str, SurveyKind]] = []
    for planned in plan_surveys(state, trigger, context.rules, context.now):
        survey = _issue(state, trigger, planned, context)
        outcome.surveys.append(survey)
        survey_id = survey.request.survey_id
        requested.append((survey_id, planned.kind))
        outcome.emit(contact_id, _wrapped(survey.request, survey_id, "requested", context))
    complaint = _complaint(state, event, context)
    if complaint is not None:
        detected = _wrapped(complaint, trigger.event_id, "complaint", context)
        outcome.emit(contact_id, detected)
        if context.produce_v1_events:
            outcome.emit(contact_id, v1_copy(detected, _summary(event.data)))
    outcome.store(recording_requests(state, trigger.event_id, requested, context.now))


def _issue(
    state: ContactFeedback, trigger: Trigger, planned: PlannedSurvey, context: DecisionContext
) -> IssuedSurvey:
    request = SurveyRequested(
        survey_id=derived_id(trigger.event_id, planned.kind.value),
        contact_id=state.contact_id,
        kind=planned.kind,
        expires_at=context.now + context.token_ttl,
        language=planned.language,
        channel=planned.channel,
        requested_at=context.now,
        interaction_id=trigger.interaction_id,
        case_id=trigger.case_id,
        trigger_event_id=trigger.event_id,
        country=state.country,
    )
    return IssuedSurvey(request)


def _complaint(
    state: ContactFeedback, event: CloudEvent[EventData], context: DecisionContext
) -> DetractorDetected | None:
    """An inbound complaint needs a follow-up; the agent's outbound replies do not raise another."""
    data = event.data
    if not isinstance(data, InteractionLogged) or state.erased:
        return None
    if data.kind is not InteractionKind.COMPLAINT or data.direction is not Direction.INBOUND:
        return None
    # The complaint's text stays with contacts (its InteractionSummary): subscribers join it by
    # interaction id (a v1 interaction from the history has a summary if it carries one).
    return DetractorDetected(
        contact_id=state.contact_id,
        reason=DetractorReason.COMPLAINT,
        detected_at=context.now,
        interaction_id=data.interaction_id,
        case_id=data.case_id,
        account_owner=state.account_owner,
        has_comment=data.has_summary,
    )


def _summary(data: EventData) -> str | None:
    """The text of a v1 interaction (history); a v2 one carries none."""
    return data.summary if isinstance(data, InteractionLoggedV1) else None


def _wrapped(
    data: SurveyRequested | DetractorDetected, basis: str, purpose: str, context: DecisionContext
) -> CloudEvent[EventData]:
    event: CloudEvent[EventData] = wrap(
        data, source=SOURCE, event_id=derived_id(basis, purpose), time=context.now
    )
    return event


def _bounded(state: ContactFeedback, context: DecisionContext) -> ContactFeedback:
    rules = context.rules
    return contact.pruned(
        state,
        surveys_since=context.now - max(rules.fatigue_window, rules.pressure_window),
        notifications_since=context.now - rules.pressure_window,
        triggers=context.remembered_triggers,
    )
