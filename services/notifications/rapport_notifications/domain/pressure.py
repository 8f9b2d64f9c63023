"""The per-contact reservation: the contact-pressure budget (at most ``limit`` non-transactional
messages per contact in any rolling ``window``, whatever sent them: survey invitations and
campaigns alike) and the per-template frequency caps, checked together. Pure.

A contact's reservation is one document holding the recent entries (delivery key, time,
template, whether it drew on the budget). A send first reserves an entry; the document is then
written back only if nobody changed it in between (``adapters/pressure.py``), so two replicas can
never both take the last entry of the budget or of a cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapport_notifications.domain.decision import FREQUENCY_CAP, Fail, Postpone, Send
from rapport_notifications.domain.templates import SPECS
from rapport_notifications.domain.triggers import PlannedDelivery

PRESSURE_BUDGET = "pressure_budget"
# A campaign that defers over-budget recipients says so in its deliveries' facts.
OVER_BUDGET = "over_budget"
DEFER = "defer"


@dataclass(frozen=True)
class TemplateCap:
    """At most ``limit`` messages of one template per contact within ``window``."""

    limit: int
    window: timedelta


@dataclass(frozen=True)
class PressureBudget:
    limit: int
    window: timedelta
    # Keyed by template name, as configured (``frequency_caps``).
    caps: Mapping[str, TemplateCap] = field(default_factory=dict)

    def kept_for(self) -> timedelta:
        """Entries are kept as long as the longest window still counts them."""
        return max([self.window, *(cap.window for cap in self.caps.values())])


@dataclass(frozen=True)
class Entry:
    key: str  # the delivery that holds the entry
    at: datetime
    template: str = ""  # empty in entries stored before caps joined the reservation
    budget: bool = True  # drew on the contact-pressure budget (a non-transactional send)


@dataclass(frozen=True)
class Spent:
    """No budget entry left; the oldest one leaves the window at ``free_at``."""

    free_at: datetime


@dataclass(frozen=True)
class Capped:
    """The frequency cap of the send's template is reached."""

    template: str


Refusal = Spent | Capped


def draws_on_budget(plan: PlannedDelivery) -> bool:
    spec = SPECS[plan.template]
    return not (spec.transactional or spec.internal)


def capped(plan: PlannedDelivery, budget: PressureBudget) -> bool:
    """A customer message whose template has a frequency cap (internal alerts never do)."""
    return plan.template.value in budget.caps and not SPECS[plan.template].internal


def reserves(plan: PlannedDelivery, budget: PressureBudget) -> bool:
    return draws_on_budget(plan) or capped(plan, budget)


def entry_for(plan: PlannedDelivery, now: datetime, budget: PressureBudget) -> Entry | None:
    """The entry a send of ``plan`` takes, or None when neither the budget nor a cap count it."""
    if not reserves(plan, budget):
        return None
    template = plan.template.value if capped(plan, budget) else ""
    return Entry(plan.key, now, template, draws_on_budget(plan))


def live(entries: tuple[Entry, ...], now: datetime, budget: PressureBudget) -> tuple[Entry, ...]:
    """The entries some window still counts."""
    since = now - budget.kept_for()
    return tuple(entry for entry in entries if entry.at > since)


def reserved(
    entries: tuple[Entry, ...], wanted: Entry, budget: PressureBudget
) -> tuple[Entry, ...] | Refusal:
    """The entries with ``wanted`` added (kept as they are when its key holds one already: a
    retried send); ``Capped`` when its template's cap is reached, ``Spent`` when it draws on a
    full budget."""
    now = wanted.at
    current = live(entries, now, budget)
    if any(entry.key == wanted.key for entry in current):
        return current
    cap = budget.caps.get(wanted.template)
    if cap is not None and len(_within(current, now - cap.window, wanted.template)) >= cap.limit:
        return Capped(wanted.template)
    if wanted.budget:
        drawn = [entry for entry in current if entry.budget and entry.at > now - budget.window]
        if len(drawn) >= budget.limit:
            return Spent(free_at=min(entry.at for entry in drawn) + budget.window)
    return (*current, wanted)


def _within(entries: tuple[Entry, ...], since: datetime, template: str) -> list[Entry]:
    return [entry for entry in entries if entry.template == template and entry.at > since]


def released(entries: tuple[Entry, ...], key: str) -> tuple[Entry, ...]:
    """The entries without ``key``: its message never reached the customer."""
    return tuple(entry for entry in entries if entry.key != key)


def refused(plan: PlannedDelivery, send: Send, refusal: Refusal) -> Postpone | Fail:
    """A capped send fails with ``frequency_cap``; an over-budget one as ``over_budget`` says."""
    if isinstance(refusal, Capped):
        return Fail(FREQUENCY_CAP, send.route.channel)
    return over_budget(plan, send, refusal)


def over_budget(plan: PlannedDelivery, send: Send, spent: Spent) -> Postpone | Fail:
    """Skipped with ``pressure_budget``, or deferred until an entry frees up when asked to."""
    if plan.facts.get(OVER_BUDGET) == DEFER:
        return Postpone(spent.free_at, PRESSURE_BUDGET, send.route.channel)
    return Fail(PRESSURE_BUDGET, send.route.channel)
