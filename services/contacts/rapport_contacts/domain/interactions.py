"""Interactions on every channel, the cases they belong to and the SLA clocks they start.

A summary is personal data: ``InteractionLogged`` only says there is one (``has_summary``); the
text is an ``InteractionSummary`` record of its own on the personal topic, whose key the contact
remembers for erasure."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.domain.errors import CaseNotOpen
from rapport_contacts.domain.model import Contact, OpenCase, SlaClock, new_id, published_under
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    CaseResolved,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionSummary,
    SlaBreached,
)

# Breached clocks stay until answered (the answer time still matters to people reading the
# contact); beyond this many, the oldest breached ones are dropped to keep the document bounded.
MAX_BREACHED_CLOCKS = 50
BREACH_NAMESPACE = uuid.UUID("5b0c9a52-3f0e-4d8e-9a51-6f1c0e2d7a10")


@dataclass(frozen=True)
class LogInteraction:
    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: datetime
    agent_id: str | None = None
    case_id: str | None = None
    in_reply_to: str | None = None
    summary: str | None = None


def awaits_response(command: LogInteraction) -> bool:
    """Inbound messages wait for an answer; a meeting is a conversation already held."""
    return command.direction is Direction.INBOUND and command.kind is not InteractionKind.MEETING


def log_interaction(
    contact: Contact, command: LogInteraction, *, policy: SlaPolicy
) -> tuple[Contact, InteractionLogged, list[InteractionSummary]]:
    """The contact with the interaction counted, its event and the record of its summary."""
    contact.ensure_active()
    awaits = awaits_response(command)
    calendar = policy.calendar(time_zone=contact.profile.time_zone, country=contact.profile.country)
    due_at = policy.due_at(calendar, command.channel, command.occurred_at) if awaits else None
    facts = {k: v for k, v in dataclasses.asdict(command).items() if k != "summary"}
    event = InteractionLogged(
        interaction_id=new_id("in"),
        contact_id=contact.contact_id,
        awaits_response=awaits,
        response_due_at=due_at,
        has_summary=command.summary is not None,
        **facts,
    )
    clocks = [c for c in contact.clocks if c.interaction_id != command.in_reply_to]
    if due_at is not None:
        clocks.append(_clock(event, due_at))
    cases = _count_in_case(contact.open_cases, command)
    logged = dataclasses.replace(contact, clocks=tuple(clocks), open_cases=cases)
    if command.summary is None:
        return logged, event, []
    summary = InteractionSummary(
        contact_id=contact.contact_id,
        interaction_id=event.interaction_id,
        summary=command.summary,
        occurred_at=command.occurred_at,
    )
    return published_under(logged, summary.partition_key()), event, [summary]


def resolve_case(
    contact: Contact, case_id: str, *, resolved_at: datetime, agent_id: str | None
) -> tuple[Contact, CaseResolved]:
    """Close a case; resolving it also answers whatever of it was still waiting (stops clocks)."""
    contact.ensure_active()
    case = next((c for c in contact.open_cases if c.case_id == case_id), None)
    if case is None:
        raise CaseNotOpen(case_id)
    event = CaseResolved(
        case_id=case_id,
        contact_id=contact.contact_id,
        channel=case.channel,
        opened_at=case.opened_at,
        resolved_at=max(resolved_at, case.opened_at),
        # First-contact resolution: the customer had to reach out only once.
        first_contact=case.inbound_count == 1,
        interaction_count=case.interaction_count,
        agent_id=agent_id or case.agent_id,
        kind=case.kind,
    )
    remaining = tuple(c for c in contact.open_cases if c.case_id != case_id)
    clocks = tuple(c for c in contact.clocks if c.case_id != case_id)
    return dataclasses.replace(contact, open_cases=remaining, clocks=clocks), event


def breach_overdue(contact: Contact, *, now: datetime) -> tuple[Contact, list[SlaBreached]]:
    """Mark every running clock past its deadline as breached, with one event each."""
    if contact.merged_into is not None:
        return contact, []
    overdue = [c for c in contact.clocks if not c.breached and c.due_at <= now]
    events = [
        SlaBreached(
            interaction_id=clock.interaction_id,
            contact_id=contact.contact_id,
            channel=clock.channel,
            received_at=clock.received_at,
            due_at=clock.due_at,
            agent_id=clock.agent_id,
        )
        for clock in overdue
    ]
    clocks = [dataclasses.replace(c, breached=True) if c in overdue else c for c in contact.clocks]
    return dataclasses.replace(contact, clocks=_bounded(clocks)), events


def breach_event_id(interaction_id: str) -> str:
    """Derived from the interaction, so a breach written twice is still one event id."""
    return str(uuid.uuid5(BREACH_NAMESPACE, f"{interaction_id}:sla_breached"))


def _clock(event: InteractionLogged, due_at: datetime) -> SlaClock:
    return SlaClock(
        interaction_id=event.interaction_id,
        channel=event.channel,
        received_at=event.occurred_at,
        due_at=due_at,
        case_id=event.case_id,
        agent_id=event.agent_id,
    )


def _count_in_case(cases: tuple[OpenCase, ...], command: LogInteraction) -> tuple[OpenCase, ...]:
    if command.case_id is None:
        return cases
    inbound = int(command.direction is Direction.INBOUND)
    current = next((c for c in cases if c.case_id == command.case_id), None)
    if current is None:
        opened = OpenCase(
            command.case_id, command.occurred_at, command.channel, command.kind, 1, inbound
        )
        return (*cases, dataclasses.replace(opened, agent_id=command.agent_id))
    counted = dataclasses.replace(
        current,
        opened_at=min(current.opened_at, command.occurred_at),
        interaction_count=current.interaction_count + 1,
        inbound_count=current.inbound_count + inbound,
        agent_id=command.agent_id or current.agent_id,
    )
    return tuple(counted if c is current else c for c in cases)


def _bounded(clocks: list[SlaClock]) -> tuple[SlaClock, ...]:
    breached = sorted((c for c in clocks if c.breached), key=lambda c: c.due_at)
    dropped = {c.interaction_id for c in breached[: max(0, len(breached) - MAX_BREACHED_CLOCKS)]}
    return tuple(c for c in clocks if c.interaction_id not in dropped)
