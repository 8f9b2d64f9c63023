"""What to do with a due delivery: send it now (how), postpone it, wait, or give up (why)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.purposes import purpose_of
from rapport_notifications.domain.quiet_hours import DeliveryWindow, postponement
from rapport_notifications.domain.templates import SPECS
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_schemas.common import Channel, Consent, Purpose

NO_CONSENT = "no_consent"
CONTACT_ERASED = "contact_erased"
UNKNOWN_CONTACT = "unknown_contact"
FREQUENCY_CAP = "frequency_cap"


@dataclass(frozen=True)
class Route:
    channel: Channel
    address: str
    consent: Consent | None  # None only for internal alerts


@dataclass(frozen=True)
class Send:
    route: Route
    locale: str | None
    time_zone: str


@dataclass(frozen=True)
class Postpone:
    until: datetime
    reason: str
    channel: Channel


@dataclass(frozen=True)
class Wait:
    until: datetime


@dataclass(frozen=True)
class Fail:
    reason: str
    channel: Channel | None = None


Decision = Send | Postpone | Wait | Fail


@dataclass(frozen=True)
class DeliveryPolicy:
    window: DeliveryWindow
    channel_order: Sequence[Channel]
    available_channels: frozenset[Channel]
    internal_locale: str
    internal_time_zone: str
    team_email: str
    agent_emails: Mapping[str, str]
    unknown_contact_grace: timedelta
    unknown_contact_retry: timedelta = timedelta(seconds=15)


def decide(
    delivery: PlannedDelivery,
    card: ContactCard | None,
    *,
    now: datetime,
    policy: DeliveryPolicy,
) -> Decision:
    if card is not None and card.erased:
        return Fail(CONTACT_ERASED)
    if SPECS[delivery.template].internal:
        route = _agent_route(delivery, card, policy)
        return Send(route, policy.internal_locale, policy.internal_time_zone)
    if card is None or not card.is_complete():
        if now < delivery.received_at + policy.unknown_contact_grace:
            return Wait(now + policy.unknown_contact_retry)
        return Fail(UNKNOWN_CONTACT)
    purpose = purpose_of(delivery.template)
    return _to_customer(card, purpose, now=now, policy=policy)


def _to_customer(
    card: ContactCard,
    purpose: Purpose,
    *,
    now: datetime,
    policy: DeliveryPolicy,
) -> Decision:
    """Customer messages: consent first, then the recipient's local calendar (frequency caps
    are checked with the budget when the send reserves its entry: ``pressure.py``)."""
    route = choose_route(card, policy, purpose)
    if route is None:
        return Fail(NO_CONSENT)
    window = contact_window(card, policy.window)
    held = postponement(now, time_zone=card.time_zone, country=card.country, window=window)
    if held is not None:
        return Postpone(held.until, held.reason, route.channel)
    return Send(route, card.language, card.time_zone)


def contact_window(card: ContactCard, window: DeliveryWindow) -> DeliveryWindow:
    """The contact's own quiet hours (set in the preference center) replace the default ones;
    weekends and public holidays stay as configured."""
    if card.quiet_hours is None:
        return window
    own = card.quiet_hours
    return dataclasses.replace(window, quiet_start=own.start, quiet_end=own.end)


def choose_route(
    card: ContactCard, policy: DeliveryPolicy, purpose: Purpose = Purpose.SERVICE
) -> Route | None:
    """The preferred channel if consented for ``purpose`` and reachable, else the first that is,
    in order."""
    order = [card.preferred_channel] if card.preferred_channel else []
    for channel in [*order, *policy.channel_order]:
        consent = card.consent(channel, purpose)
        address = _address(card, channel)
        if channel in policy.available_channels and consent is not None and address:
            return Route(channel, address, consent)
    return None


def _address(card: ContactCard, channel: Channel) -> str | None:
    return {
        Channel.EMAIL: card.email,
        Channel.SMS: card.phone,
        Channel.IN_APP: card.contact_id,
    }.get(channel)


def _agent_route(
    delivery: PlannedDelivery, card: ContactCard | None, policy: DeliveryPolicy
) -> Route:
    """Internal alerts go by e-mail to the agent (or the account owner), else to the team."""
    agent = delivery.agent_id or (card.account_owner if card else None)
    address = policy.agent_emails.get(agent, policy.team_email) if agent else policy.team_email
    return Route(Channel.EMAIL, address, None)
