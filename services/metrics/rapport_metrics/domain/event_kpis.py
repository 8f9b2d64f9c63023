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
        channel = data.channel.value
        return ctx.counted(
            "surveys", data.requested_at, data.contact_id, {"requested": 1}, channel=channel
        )
    if isinstance(data, CaseResolved):
        return _case(data, ctx)
    if isinstance(data, SlaBreached) and data.channel is Channel.EMAIL:
        return ctx.counted(
            "responses",
            data.received_at,
            data.contact_id,
            {"breached": 1},
            channel=data.channel.value,
            agent=data.agent_id,
        )
    if isinstance(data, ContactRegistered):
        counters: dict[str, Increment] = {"n": 1, "referred": int(data.referred_by is not None)}
        return ctx.counted("registrations", data.registered_at, data.contact_id, counters)
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
    owner = (data.contact_id, None, None)  # in the absorbed contact's tally, beside its sign-up
    return Contribution("registrations", ctx.at(registered), segments, counters, owner)


def _answer(data: SurveyAnswered, ctx: Context) -> list[Contribution]:
    """NPS 9–10 promoter, 0–6 detractor; CSAT 4–5 satisfied; CES summed for its mean."""
    channel = data.channel.value if data.channel else None
    score = data.score
    by_kind: dict[SurveyKind, dict[str, Increment]] = {
        SurveyKind.NPS: {"n": 1, "promoters": int(score >= 9), "detractors": int(score <= 6)},
        SurveyKind.CSAT: {"n": 1, "satisfied": int(score >= 4)},
        SurveyKind.CES: {"n": 1, "sum": score, "sum_sq": score * score},
    }
    counters = by_kind[data.kind]
    return [
        ctx.counted(data.kind.value, data.answered_at, data.contact_id, counters, channel=channel)
    ]


def _response(data: EventData, event_id: str, ctx: Context) -> list[Contribution]:
    """The response rate of a window is about the surveys requested in it (see ``surveys``)."""
    if not isinstance(data, SurveyRequested | SurveyAnswered):
        return []
    pair = ctx.surveys.get(data.survey_id, {})
    if pair.get("completed_by") != event_id:
        return []
    requested = datetime.fromisoformat(pair["requested_at"])
    if "contact" in pair:  # in the tally its request was counted in, so both move together
        contact, channel = pair["contact"], pair.get("channel")
        counters: dict[str, Increment] = {"answered": 1}
        return [ctx.counted("surveys", requested, contact, counters, channel=channel)]
    segments = tuple(pair["segments"].items())
    return [Contribution("surveys", ctx.at(requested), segments, {"answered": 1})]


def _case(data: CaseResolved, ctx: Context) -> Contribution:
    seconds = (data.resolved_at - data.opened_at).total_seconds()
    counters: dict[str, Increment] = {
        "n": 1,
        "first_contact": int(data.first_contact),
        "duration_sum": seconds,
        "duration_sq": seconds * seconds,
    }
    channel, agent = data.channel.value, data.agent_id
    return ctx.counted(
        "cases", data.resolved_at, data.contact_id, counters, channel=channel, agent=agent
    )


def _interaction(data: InteractionLogged, event_id: str, ctx: Context) -> list[Contribution]:
    # The seed's complaint rate is over inbound contacts: a reply is not a customer's contact.
    inbound = data.direction is Direction.INBOUND
    counters: dict[str, Increment] = {
        "n": 1,
        "inbound": int(inbound),
        "complaints": int(inbound and data.kind is InteractionKind.COMPLAINT),
    }
    channel, agent = data.channel.value, data.agent_id
    found = [
        ctx.counted(
            "interactions",
            data.occurred_at,
            data.contact_id,
            counters,
            channel=channel,
            agent=agent,
        )
    ]
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
    agent, channel = awaiting["reply"]["agent"], awaiting["channel"]
    contact = awaiting["contact_id"]
    return ctx.counted("responses", received, contact, counters, channel=channel, agent=agent)
