"""Counters that each event adds on its own: surveys, cases, interactions, responses, sign-ups."""

from __future__ import annotations

from datetime import datetime

from rapport_metrics.domain.context import Context, Contribution, Increment
from rapport_metrics.domain.documents import AwaitingInbound
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    CaseResolved,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
    SlaBreached,
)
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested


def event_contributions(data: EventData, event_id: str, ctx: Context) -> list[Contribution]:
    if isinstance(data, SurveyAnswered):
        return _answer(data, ctx) + _response(data, event_id, ctx)
    if isinstance(data, InteractionLogged):
        return _interaction(data, event_id, ctx)
    found = _single(data, ctx)
    return ([found] if found else []) + _response(data, event_id, ctx)


def _single(data: EventData, ctx: Context) -> Contribution | None:
    if isinstance(data, SurveyRequested):
        segments = ctx.segments(data.contact_id, data.channel.value)
        return Contribution("surveys", ctx.at(data.requested_at), segments, {"requested": 1})
    if isinstance(data, CaseResolved):
        return _case(data, ctx)
    if isinstance(data, SlaBreached) and data.channel is Channel.EMAIL:
        segments = ctx.segments(data.contact_id, data.channel.value, data.agent_id)
        return Contribution("responses", ctx.at(data.received_at), segments, {"breached": 1})
    if isinstance(data, ContactRegistered):
        counters: dict[str, Increment] = {"n": 1, "referred": int(data.referred_by is not None)}
        segments = ctx.segments(data.contact_id)
        return Contribution("registrations", ctx.at(data.registered_at), segments, counters)
    if isinstance(data, ContactsMerged):
        return _registration_withdrawn(data, ctx)
    return None


def _registration_withdrawn(data: ContactsMerged, ctx: Context) -> Contribution | None:
    """One person, one sign-up (the survivor's): the absorbed registration leaves new contacts
    and referrals, in the window and segments it was counted in."""
    entry = ctx.directory.entry(data.contact_id)
    if "registered_at" not in entry:
        return None
    counters: dict[str, Increment] = {"n": -1, "referred": -int(bool(entry.get("referred")))}
    registered = datetime.fromisoformat(entry["registered_at"])
    segments = ctx.directory.segments(data.contact_id)
    return Contribution("registrations", ctx.at(registered), segments, counters)


def _answer(data: SurveyAnswered, ctx: Context) -> list[Contribution]:
    """NPS 9–10 promoter, 0–6 detractor; CSAT 4–5 satisfied; CES summed for its mean."""
    segments = ctx.segments(data.contact_id, data.channel.value if data.channel else None)
    score = data.score
    by_kind: dict[SurveyKind, dict[str, Increment]] = {
        SurveyKind.NPS: {"n": 1, "promoters": int(score >= 9), "detractors": int(score <= 6)},
        SurveyKind.CSAT: {"n": 1, "satisfied": int(score >= 4)},
        SurveyKind.CES: {"n": 1, "sum": score, "sum_sq": score * score},
    }
    return [Contribution(data.kind.value, ctx.at(data.answered_at), segments, by_kind[data.kind])]


def _response(data: EventData, event_id: str, ctx: Context) -> list[Contribution]:
    """The response rate of a window is about the surveys requested in it (see ``surveys``)."""
    if not isinstance(data, SurveyRequested | SurveyAnswered):
        return []
    pair = ctx.surveys.get(data.survey_id, {})
    if pair.get("completed_by") != event_id:
        return []
    segments = tuple(pair["segments"].items())
    asked = ctx.at(datetime.fromisoformat(pair["requested_at"]))
    return [Contribution("surveys", asked, segments, {"answered": 1})]


def _case(data: CaseResolved, ctx: Context) -> Contribution:
    seconds = (data.resolved_at - data.opened_at).total_seconds()
    counters: dict[str, Increment] = {
        "n": 1,
        "first_contact": int(data.first_contact),
        "duration_sum": seconds,
        "duration_sq": seconds * seconds,
    }
    segments = ctx.segments(data.contact_id, data.channel.value, data.agent_id)
    return Contribution("cases", ctx.at(data.resolved_at), segments, counters)


def _interaction(data: InteractionLogged, event_id: str, ctx: Context) -> list[Contribution]:
    segments = ctx.segments(data.contact_id, data.channel.value, data.agent_id)
    # The seed's complaint rate is over inbound contacts: a reply is not a customer's contact.
    inbound = data.direction is Direction.INBOUND
    counters: dict[str, Increment] = {
        "n": 1,
        "inbound": int(inbound),
        "complaints": int(inbound and data.kind is InteractionKind.COMPLAINT),
    }
    found = [Contribution("interactions", ctx.at(data.occurred_at), segments, counters)]
    awaiting = ctx.awaiting.get(data.in_reply_to or data.interaction_id, {})
    if awaiting.get("completed_by") == event_id:
        found.append(_first_response(awaiting, ctx))
    return found


def _first_response(awaiting: AwaitingInbound, ctx: Context) -> Contribution:
    """Counted in the window the inbound arrived in, like ``SlaBreached`` (``received_at``)."""
    received = datetime.fromisoformat(awaiting["received_at"])
    replied = datetime.fromisoformat(awaiting["reply"]["at"])
    seconds = (replied - received).total_seconds()
    counters: dict[str, Increment] = {"n": 1, "time_sum": seconds, "time_sq": seconds * seconds}
    due = awaiting.get("due_at")
    if awaiting["channel"] == Channel.EMAIL.value and due is not None:
        counters["in_time"] = int(replied <= datetime.fromisoformat(due))
    agent = awaiting["reply"]["agent"]
    segments = ctx.segments(awaiting["contact_id"], awaiting["channel"], agent)
    return Contribution("responses", ctx.at(received), segments, counters)
