"""One event on its way to one subscription, and what each attempt's answer means.

States: ``pending`` (due at ``next_attempt_at``) → ``sending`` (a worker holds a lease) →
``delivered`` | ``pending`` again (a retryable answer, later) | ``failed`` (a 4xx other than 429,
or the attempts used up). A lease that runs out puts a delivery back to ``pending``: sending it
again is the at-least-once contract, and the same ``webhook-id`` lets the receiver dedupe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

# Honoured, but a receiver cannot park a delivery for longer than this.
LONGEST_RETRY_AFTER = timedelta(days=1)


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


# Not finished: a later event for the same contact waits while one of these exists.
OPEN_STATES = frozenset({DeliveryState.PENDING, DeliveryState.SENDING})


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"  # permanent: the receiver will not take it


@dataclass(frozen=True)
class Answer:
    """What one attempt got: an HTTP status, or a transport error (``timeout``/``connection``)."""

    status: int | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def reason(self) -> str:
        """A bounded label: ``http_2xx``, ``http_503``…, ``timeout`` or ``connection``."""
        return f"http_{self.status}" if self.status is not None else self.error or "connection"


def judge(answer: Answer) -> Verdict:
    """2xx delivered; 5xx, 429 and transport errors retried; any other status is permanent."""
    if answer.status is None:
        return Verdict.RETRY
    if 200 <= answer.status < 300:
        return Verdict.DELIVERED
    if answer.status >= 500 or answer.status == 429:
        return Verdict.RETRY
    return Verdict.REJECTED


@dataclass(frozen=True)
class Backoff:
    """Attempt n+1 waits ``first * multiplier**(n-1)``, capped at ``longest``; at most
    ``max_attempts`` in all."""

    max_attempts: int
    first: timedelta
    multiplier: float
    longest: timedelta

    def delay(self, attempts: int) -> timedelta:
        return min(self.longest, self.first * self.multiplier ** max(0, attempts - 1))

    def schedule(self) -> list[timedelta]:
        """The waits before each retry, for documentation and tests."""
        return [self.delay(n) for n in range(1, self.max_attempts)]

    def next_attempt(self, attempts: int, answer: Answer, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed tries; None when they are used up. A
        ``Retry-After`` longer than the backoff is honoured (up to a day)."""
        if attempts >= self.max_attempts:
            return None
        wait = max(self.delay(attempts), retry_after(answer.retry_after, now) or timedelta(0))
        return now + wait


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """RFC 9110 ``Retry-After``: delay seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), LONGEST_RETRY_AFTER)


def order_key(received_at: datetime, offset: int) -> str:
    """Sorts a contact's deliveries in the order the relay read their events: by the time their
    batch was read, then by offset (a contact's events of one topic share a partition)."""
    return f"{received_at.timestamp():017.6f}-{offset:019d}"


@dataclass(frozen=True)
class NewDelivery:
    """One event matched to one subscription; stored once per (subscription, event id)."""

    subscription_id: str
    event_id: str
    event_type: str
    event_time: datetime
    contact_id: str
    order: str

    @property
    def key(self) -> str:
        return delivery_key(self.subscription_id, self.event_id)


@dataclass(frozen=True)
class DueDelivery:
    key: str
    subscription_id: str
    contact_id: str
    order: str


@dataclass(frozen=True)
class Attempt:
    """One line of the delivery log."""

    at: datetime
    reason: str
    verdict: Verdict
    detail: str | None = None


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds until ``lease`` ends; ``token`` guards every later write."""

    key: str
    subscription_id: str
    event_id: str
    event_type: str
    token: str
    attempts: int
    log: tuple[Attempt, ...] = ()


def delivery_key(subscription_id: str, event_id: str) -> str:
    return f"{subscription_id}:{event_id}"


@dataclass(frozen=True)
class StoredEvent:
    """An event as deliveries send it, with the trace it was read in (W3C headers)."""

    event: dict[str, Any]
    trace: dict[str, str] = field(default_factory=dict)
