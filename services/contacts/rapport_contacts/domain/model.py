"""The contact aggregate: pure rules that return new state plus the events to publish."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegistered,
    Direction,
    InteractionKind,
    InteractionLogged,
)


@dataclass(frozen=True)
class Contact:
    contact_id: str
    profile: ContactProfile
    consents: tuple[Consent, ...]
    registered_at: datetime
    referred_by: str | None = None


@dataclass(frozen=True)
class RegisterContact:
    profile: ContactProfile
    consents: tuple[Consent, ...] = ()
    referred_by: str | None = None


@dataclass(frozen=True)
class LogInteraction:
    contact_id: str
    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: datetime
    agent_id: str | None = None
    case_id: str | None = None
    in_reply_to: str | None = None
    summary: str | None = None


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def register_contact(
    command: RegisterContact, *, now: datetime
) -> tuple[Contact, ContactRegistered]:
    contact = Contact(
        contact_id=new_id("ct"),
        profile=command.profile,
        consents=command.consents,
        registered_at=now,
        referred_by=command.referred_by,
    )
    event = ContactRegistered(
        contact_id=contact.contact_id,
        profile=contact.profile,
        consents=contact.consents,
        referred_by=contact.referred_by,
        registered_at=now,
    )
    return contact, event


def log_interaction(contact: Contact, command: LogInteraction) -> InteractionLogged:
    awaits = command.direction is Direction.INBOUND and command.kind is not InteractionKind.MEETING
    return InteractionLogged(
        interaction_id=new_id("in"),
        contact_id=contact.contact_id,
        channel=command.channel,
        direction=command.direction,
        kind=command.kind,
        occurred_at=command.occurred_at,
        agent_id=command.agent_id,
        case_id=command.case_id,
        in_reply_to=command.in_reply_to,
        awaits_response=awaits,
        summary=command.summary,
    )
