"""A contact as this service sees it: reachability (directory) and what it was already asked.

One document per contact is the aggregate: the survey decision, the counters it relies on and the
events it emits change together. Every change here is idempotent (keyed by id or guarded by time),
so a redelivered or republished event changes nothing a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.contacts import ContactFacts


@dataclass(frozen=True)
class CountedMessage:
    """A survey or a non-transactional notification that counts against a contact's caps."""

    id: str
    at: datetime


@dataclass(frozen=True)
class ChannelConsent:
    granted: bool
    changed_at: datetime


@dataclass(frozen=True)
class ContactFeedback:
    contact_id: str
    language: str | None = None
    country: str | None = None
    preferred_channel: Channel | None = None
    account_owner: str | None = None
    profile_at: datetime | None = None
    consents: Mapping[Channel, ChannelConsent] = field(default_factory=dict)
    erased: bool = False
    merged_into: str | None = None
    last_nps_at: datetime | None = None
    surveys: tuple[CountedMessage, ...] = ()
    notifications: tuple[CountedMessage, ...] = ()
    handled_triggers: tuple[str, ...] = ()


def with_profile(state: ContactFeedback, profile: ContactFacts, at: datetime) -> ContactFeedback:
    """The newest profile wins, so a late republished update cannot roll it back. Only facts are
    kept (a v1 profile's name, e-mail and phone are never read), so v1 and v2 fold alike."""
    if state.erased or (state.profile_at is not None and at < state.profile_at):
        return state
    return replace(
        state,
        language=profile.language,
        country=profile.country,
        preferred_channel=profile.preferred_channel,
        account_owner=profile.account_owner,
        profile_at=at,
    )


def with_consents(state: ContactFeedback, consents: Iterable[Consent]) -> ContactFeedback:
    if state.erased:
        return state
    merged = dict(state.consents)
    # Surveys are all this service sends: a consent for another purpose says nothing about them,
    # and of the channel's and the surveys' consent the newer decides (rapport_schemas.consents).
    for consent in (c for c in consents if c.purpose in (None, Purpose.SURVEYS)):
        known = merged.get(consent.channel)
        if known is None or consent.changed_at >= known.changed_at:
            merged[consent.channel] = ChannelConsent(consent.granted, consent.changed_at)
    return replace(state, consents=merged)


def erased(state: ContactFeedback) -> ContactFeedback:
    """Personal data goes; the anonymous counters that keep caps honest stay."""
    return replace(
        state,
        language=None,
        country=None,
        preferred_channel=None,
        account_owner=None,
        consents={},
        erased=True,
    )


def with_notification(state: ContactFeedback, counted: CountedMessage) -> ContactFeedback:
    if any(known.id == counted.id for known in state.notifications):
        return state
    return replace(state, notifications=(*state.notifications, counted))


def absorbing(survivor: ContactFeedback, absorbed: ContactFeedback) -> ContactFeedback:
    """The survivor takes over the absorbed contact's counters; unions by id count nothing twice."""
    nps_times = [t for t in (survivor.last_nps_at, absorbed.last_nps_at) if t is not None]
    return replace(
        survivor,
        last_nps_at=max(nps_times, default=None),
        surveys=_union(survivor.surveys, absorbed.surveys),
        notifications=_union(survivor.notifications, absorbed.notifications),
        handled_triggers=_unique((*survivor.handled_triggers, *absorbed.handled_triggers)),
    )


def merged_into(absorbed: ContactFeedback, survivor_id: str) -> ContactFeedback:
    """Counters are kept, so a crash between the two documents' writes is repaired on redelivery;
    the directory data goes, since an erasure will name only the survivor from now on."""
    return replace(
        absorbed,
        merged_into=survivor_id,
        language=None,
        country=None,
        preferred_channel=None,
        account_owner=None,
        consents={},
    )


def pruned(
    state: ContactFeedback, *, surveys_since: datetime, notifications_since: datetime, triggers: int
) -> ContactFeedback:
    """Bounded memory: drop what no cap window can see any more, keep the newest trigger ids."""
    return replace(
        state,
        surveys=tuple(s for s in state.surveys if s.at >= surveys_since),
        notifications=tuple(n for n in state.notifications if n.at >= notifications_since),
        handled_triggers=state.handled_triggers[-triggers:],
    )


def _union(
    first: tuple[CountedMessage, ...], second: tuple[CountedMessage, ...]
) -> tuple[CountedMessage, ...]:
    by_id = {message.id: message for message in (*first, *second)}
    return tuple(sorted(by_id.values(), key=lambda message: message.at))


def _unique(ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))
