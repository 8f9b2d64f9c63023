"""The contact-pressure budget: at most ``limit`` non-transactional messages per contact in any
rolling ``window``, whatever sent them (survey invitations and campaigns alike). Pure.

A contact's budget is one document holding the entries of the window (delivery key, time). A
send first reserves an entry; the document is then written back only if nobody changed it in
between (``adapters/pressure.py``), so two replicas can never both take the last entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport_notifications.domain.decision import Fail, Postpone, Send
from rapport_notifications.domain.templates import SPECS
from rapport_notifications.domain.triggers import PlannedDelivery

PRESSURE_BUDGET = "pressure_budget"
# A campaign that defers over-budget recipients says so in its deliveries' facts.
OVER_BUDGET = "over_budget"
DEFER = "defer"


@dataclass(frozen=True)
class PressureBudget:
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Entry:
    key: str  # the delivery that drew on the budget
    at: datetime


@dataclass(frozen=True)
class Spent:
    """No entry left; the oldest one leaves the window at ``free_at``."""

    free_at: datetime


def draws_on_budget(plan: PlannedDelivery) -> bool:
    spec = SPECS[plan.template]
    return not (spec.transactional or spec.internal)


def live(entries: tuple[Entry, ...], now: datetime, budget: PressureBudget) -> tuple[Entry, ...]:
    """The entries still inside the rolling window."""
    since = now - budget.window
    return tuple(entry for entry in entries if entry.at > since)


def reserved(
    entries: tuple[Entry, ...], key: str, now: datetime, budget: PressureBudget
) -> tuple[Entry, ...] | Spent:
    """The entries with ``key`` added (kept as they are when it holds one already: a retried
    send), or ``Spent`` when the window is full."""
    current = live(entries, now, budget)
    if any(entry.key == key for entry in current):
        return current
    if len(current) >= budget.limit:
        return Spent(free_at=min(entry.at for entry in current) + budget.window)
    return (*current, Entry(key, now))


def released(entries: tuple[Entry, ...], key: str) -> tuple[Entry, ...]:
    """The entries without ``key``: its message never reached the customer."""
    return tuple(entry for entry in entries if entry.key != key)


def over_budget(plan: PlannedDelivery, send: Send, spent: Spent) -> Postpone | Fail:
    """Skipped with ``pressure_budget``, or deferred until an entry frees up when asked to."""
    if plan.facts.get(OVER_BUDGET) == DEFER:
        return Postpone(spent.free_at, PRESSURE_BUDGET, send.route.channel)
    return Fail(PRESSURE_BUDGET, send.route.channel)
