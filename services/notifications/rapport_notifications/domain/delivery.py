"""The delivery state machine: one delivery per idempotency key, the aggregate of one send.

States: ``pending`` → ``claimed`` (a worker holds a lease) → ``sending`` (the channel was called)
→ ``sent`` | ``failed`` | back to ``pending`` (transient failure, retried later) or ``scheduled``
(quiet hours; due again when the window opens). Every outcome event is stored with the state
change in one write guarded by the claim token, so redelivered triggers, a second worker or a
restart can never record (or send) twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from rapport_notifications.domain.triggers import PlannedDelivery


class State(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SCHEDULED = "scheduled"
    SENT = "sent"
    FAILED = "failed"


# Waiting for their time: a worker may claim them once ``due_at`` has passed.
DUE_STATES = frozenset({State.PENDING, State.SCHEDULED})


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds until its lease ends; ``token`` guards every later write."""

    plan: PlannedDelivery
    token: str
    attempts: int
    trace: dict[str, str] = field(default_factory=dict, compare=False)


class LostClaim(Exception):
    """Another worker took the delivery over (our lease expired); do nothing more with it."""


@dataclass(frozen=True)
class Retries:
    """Transient failures are retried ``max_attempts`` times, the delay doubling up to a cap;
    ``lease`` is how long a claim holds."""

    max_attempts: int
    first_delay: timedelta
    max_delay: timedelta
    lease: timedelta

    def backoff(self, attempts: int) -> timedelta:
        delay: timedelta = self.first_delay * 2 ** max(0, attempts - 1)
        return min(self.max_delay, delay)
