"""A webhook subscription: where Rapport's events go over HTTP, which ones, and with what data.

An event goes to a subscription when its type is one of the subscription's ``event_types`` and
every filter set holds: ``countries`` (the contact's ISO country, from the event's profile or the
relay's last-known country of the contact), ``changed_fields`` (for ``ContactUpdated`` only: at
least one of these profile fields changed; other event types are not filtered by it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from ipaddress import ip_address
from urllib.parse import urlsplit

from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import ContactUpdated


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"  # nothing is sent; deliveries wait until the operator re-enables


class InvalidTarget(ValueError):
    """A target URL the relay refuses to call."""


@dataclass(frozen=True)
class Filters:
    countries: frozenset[str] = frozenset()
    changed_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    url: str
    event_types: frozenset[str]
    secret: str
    personal_data: bool
    filters: Filters = field(default_factory=Filters)
    state: SubscriptionState = SubscriptionState.ACTIVE
    description: str | None = None
    created_at: datetime | None = None
    # The failure streak that disables it: consecutive failed attempts and when the streak began.
    failures: int = 0
    failing_since: datetime | None = None
    disabled_reason: str | None = None
    # After a rotation the old secret signs too, until ``previous_secret_until``.
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its overlap lasts."""
        until = self.previous_secret_until
        if self.previous_secret and until is not None and now < until:
            return [self.secret, self.previous_secret]
        return [self.secret]


@dataclass(frozen=True)
class DisablePolicy:
    """Disabled after ``failures`` consecutive failed attempts spread over at least ``span``:
    a receiver that has been down that long is better paused than hammered."""

    failures: int
    span: timedelta

    def should_disable(self, failures: int, failing_since: datetime | None, now: datetime) -> bool:
        if failures < self.failures or failing_since is None:
            return False
        return now - failing_since >= self.span


def check_target_url(url: str, *, allow_plain_http: bool) -> str:
    """The URL itself when the relay may call it. Unless ``allow_plain_http`` (development and
    tests): https only, so signed events never cross a network in clear, and no loopback,
    private or link-local address literal, so a subscription cannot aim Rapport at its own
    network (a host name resolving there is the network policy's to stop)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise InvalidTarget("not a URL") from None
    schemes = {"https", "http"} if allow_plain_http else {"https"}
    if parts.scheme not in schemes:
        raise InvalidTarget(f"scheme must be {' or '.join(sorted(schemes))}")
    if not host:
        raise InvalidTarget("a host is required")
    if parts.username or parts.password:
        raise InvalidTarget("credentials in the URL are not allowed; the signature authenticates")
    if not allow_plain_http and _internal(host):
        raise InvalidTarget("a loopback, private or link-local address is not allowed")
    return url


def _internal(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False  # a name
    return address.is_loopback or address.is_private or address.is_link_local


def matches(subscription: Subscription, event: CloudEvent[EventData], country: str | None) -> bool:
    """Does ``event`` (about a contact last known in ``country``) go to ``subscription``?"""
    if event.type not in subscription.event_types:
        return False
    filters = subscription.filters
    if filters.countries and country not in filters.countries:
        return False
    if filters.changed_fields and isinstance(event.data, ContactUpdated):
        return bool(filters.changed_fields & set(event.data.changed_fields))
    return True


def event_country(event: CloudEvent[EventData]) -> str | None:
    """The contact's country when the event carries its profile."""
    profile = getattr(event.data, "profile", None)
    country = getattr(profile, "country", None)
    return str(country) if country is not None else None
