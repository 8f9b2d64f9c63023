"""Every KPI computed from scratch over the whole dataset (see ``kpi_dataset``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyRequested
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)
from services.metrics.tests.integration.kpi_dataset import ZONE, Dataset

DatedRates = dict[str, dict[date, Decimal]]

Point = tuple[str, date, str, str]  # window, start, segment kind, segment value


def windows(at: datetime) -> list[tuple[str, date]]:
    day = at.astimezone(ZONE).date()
    return [
        ("day", day),
        ("week", day - timedelta(days=day.weekday())),
        ("month", day.replace(day=1)),
    ]


def previous(window: str, start: date) -> date:
    if window == "month":
        return (start - timedelta(days=1)).replace(day=1)
    return start - timedelta(days=1 if window == "day" else 7)


def converted(amount: Decimal, currency: str, on: date, rates: DatedRates) -> Decimal:
    """At the rate valid on the purchase's (reporting-zone) day: the latest valid-from ≤ it."""
    valid = [since for since in rates[currency] if since <= on]
    return amount * rates[currency][max(valid)]


class Expected:
    def __init__(self, data: Dataset, rates: DatedRates) -> None:
        self.rates = rates
        # Every event in the segments of its contact's latest profile, whenever that arrived.
        self.registrations = {
            e.data.contact_id: e.data for e in data.events if isinstance(e.data, ContactRegistered)
        }
        self.profiles = {
            e.data.contact_id: e.data.profile
            for e in data.events
            if isinstance(e.data, ContactRegistered | ContactUpdated)
        }
        merges = [e.data for e in data.closing if isinstance(e.data, ContactsMerged)]
        self.identity = {m.contact_id: m.survivor_id for m in merges}
        self.sums: dict[tuple[str, Point], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        self.active: dict[Point, set[str]] = defaultdict(set)
        self.purchases_of: dict[Point, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.first_purchase: dict[str, datetime] = {}
        # The first reply in partition order answers, even if it came before its inbound.
        inbound = {
            e.data.interaction_id: e.data
            for e in data.activity
            if isinstance(e.data, InteractionLogged) and e.data.awaits_response
        }
        self.answered: set[str] = set()
        for event in data.events:
            self._event(event.data, inbound)
        for contact, at in self.first_purchase.items():
            self._add("purchases", at, self.segments(contact), first_buyers=1)
        for absorbed in self.identity:  # one person, one sign-up: the survivor's
            registered = self.registrations[absorbed]
            self._add(
                "registrations",
                registered.registered_at,
                self.segments(absorbed),
                n=-1,
                referred=-int(registered.referred_by is not None),
            )

    def segments(
        self, contact: str, channel: str | None = None, agent: str | None = None
    ) -> list[tuple[str, str]]:
        profile = self.profiles[contact]
        return [
            ("all", "all"),
            ("country", profile.country),
            ("region", str(profile.segment.region)),
            ("language", profile.language),
            ("industry", str(profile.segment.industry)),
            ("channel", channel or profile.preferred_channel.value),
            ("agent", agent or str(profile.account_owner)),
        ]

    def _add(self, family: str, at: datetime, segments: list[tuple[str, str]], **sums: Any) -> None:
        for window, start in windows(at):
            for kind, value in segments:
                for name, amount in sums.items():
                    self.sums[(family, (window, start, kind, value))][name] += amount

    def _event(self, e: Any, inbound: dict[str, InteractionLogged]) -> None:
        if isinstance(e, ContactRegistered):
            self._add(
                "registrations",
                e.registered_at,
                self.segments(e.contact_id),
                n=1,
                referred=int(e.referred_by is not None),
            )
        elif isinstance(e, InteractionLogged):
            self._add(
                "interactions",
                e.occurred_at,
                self.segments(e.contact_id, e.channel.value, e.agent_id),
                n=1,
                inbound=int(e.direction is Direction.INBOUND),
                complaints=int(
                    e.kind is InteractionKind.COMPLAINT and e.direction is Direction.INBOUND
                ),
            )
            self._activity(e.contact_id, e.occurred_at)
            asked = inbound.get(e.in_reply_to or "")
            if (
                e.direction is Direction.OUTBOUND
                and asked
                and asked.interaction_id not in (self.answered)
            ):
                self.answered.add(asked.interaction_id)
                self._response(asked, e)
        elif isinstance(e, SlaBreached) and e.channel.value == "email":
            self._add(
                "responses",
                e.received_at,
                self.segments(e.contact_id, "email", e.agent_id),
                breached=1,
            )
        elif isinstance(e, CaseResolved):
            seconds = (e.resolved_at - e.opened_at).total_seconds()
            self._add(
                "cases",
                e.resolved_at,
                self.segments(e.contact_id, e.channel.value, e.agent_id),
                n=1,
                first_contact=int(e.first_contact),
                duration_sum=seconds,
            )
        elif isinstance(e, PurchaseRecorded):
            self._add(
                "purchases",
                e.occurred_at,
                self.segments(e.contact_id),
                purchases=1,
                revenue=converted(
                    e.amount, e.currency, e.occurred_at.astimezone(ZONE).date(), self.rates
                ),
            )
            self._activity(e.contact_id, e.occurred_at)
            person = self.identity.get(e.contact_id, e.contact_id)
            for window, start in windows(e.occurred_at):
                for kind, value in self.segments(person):
                    self.purchases_of[(window, start, kind, value)][person] += 1
            if person not in self.first_purchase or e.occurred_at < self.first_purchase[person]:
                self.first_purchase[person] = e.occurred_at
        elif isinstance(e, NotificationSent | NotificationFailed | NotificationScheduled):
            self._notification(e)
        elif isinstance(e, ContactConsentChanged):
            segments = self.segments(e.contact_id, e.consent.channel.value)
            withdrawn = int(not e.consent.granted)
            self._add("consents", e.consent.changed_at, segments, decisions=1, withdrawn=withdrawn)
        elif isinstance(e, SurveyRequested):
            self._add(
                "surveys", e.requested_at, self.segments(e.contact_id, e.channel.value), requested=1
            )
        elif isinstance(e, SurveyAnswered):
            segments = self.segments(e.contact_id, e.channel.value if e.channel else None)
            self._add("surveys", e.requested_at or e.answered_at, segments, answered=1)
            self._add(
                e.kind.value,
                e.answered_at,
                segments,
                n=1,
                score=e.score,
                promoters=int(e.score >= 9),
                detractors=int(e.score <= 6),
                satisfied=int(e.score >= 4),
            )

    def _notification(self, e: Any) -> None:
        """Outcomes: sent (not internal) or failed for good; deferrals: held, for quiet hours."""
        channel = e.channel.value if e.channel else None
        segments = self.segments(e.contact_id, channel)
        if isinstance(e, NotificationSent) and not e.internal:
            self._add("notifications", e.sent_at, segments, outcomes=1, delivered=1)
        elif isinstance(e, NotificationFailed) and e.permanent:
            self._add("notifications", e.failed_at, segments, outcomes=1)
        elif isinstance(e, NotificationScheduled):
            quiet = int(e.reason == "quiet_hours")
            self._add("notifications", e.deliver_at, segments, held=1, quiet_hours=quiet)

    def _activity(self, contact: str, at: datetime) -> None:
        person = self.identity.get(contact, contact)
        for window, start in windows(at):
            for kind, value in self.segments(person):
                self.active[(window, start, kind, value)].add(person)

    def _response(self, asked: InteractionLogged, reply: InteractionLogged) -> None:
        seconds = (reply.occurred_at - asked.occurred_at).total_seconds()
        in_time = {}
        if asked.channel.value == "email" and asked.response_due_at is not None:
            in_time = {"in_time": int(reply.occurred_at <= asked.response_due_at)}
        segments = self.segments(asked.contact_id, asked.channel.value, reply.agent_id)
        self._add("responses", asked.occurred_at, segments, n=1, time_sum=seconds, **in_time)

    def has_segment(self, kind: str, value: str) -> bool:
        return any((kind, value) in self.segments(contact) for contact in self.profiles)

    def value(self, metric: str, point: Point) -> tuple[float | None, int]:
        window, start, kind, segment = point
        s = self.sums

        def rate(family: str, numerator: str, denominator: str) -> tuple[float | None, int]:
            counters = s.get((family, point), {})
            n = counters.get(denominator, 0)
            return (100 * counters.get(numerator, 0) / n if n else None), n

        if metric == "nps":
            c = s.get(("nps", point), {})
            n = c.get("n", 0)
            return (100 * (c.get("promoters", 0) - c.get("detractors", 0)) / n if n else None), n
        if metric in ("ces", "resolution_time", "first_response_time"):
            family, total = {
                "ces": ("ces", "score"),
                "resolution_time": ("cases", "duration_sum"),
                "first_response_time": ("responses", "time_sum"),
            }[metric]
            c = s.get((family, point), {})
            return (c[total] / c["n"] if c.get("n") else None), c.get("n", 0)
        if metric == "sla_compliance":
            c = s.get(("responses", point), {})
            n = c.get("in_time", 0) + c.get("breached", 0)
            return (100 * c.get("in_time", 0) / n if n else None), n
        if metric in ("retention_rate", "churn_rate"):
            # The cohort: contacts active in the previous window; retained: active again now.
            cohort = self.active.get((window, previous(window, start), kind, segment), set())
            if not cohort:
                return None, 0
            kept = len(cohort & self.active.get(point, set()))
            lost = len(cohort) - kept
            return 100 * (kept if metric == "retention_rate" else lost) / len(cohort), len(cohort)
        if metric == "repeat_purchase_rate":
            buyers = self.purchases_of.get(point, {})
            repeat = sum(1 for purchases in buyers.values() if purchases >= 2)
            return (100 * repeat / len(buyers) if buyers else None), len(buyers)
        if metric == "clv":
            revenue, customers = Decimal(0), 0
            for (family, (w, begin, k, v)), c in s.items():
                if (
                    family == "purchases"
                    and (w, k, v) == (window, kind, segment)
                    and begin <= start
                ):
                    revenue += c.get("revenue", 0)
                    customers += c.get("first_buyers", 0)
            return (float(revenue / customers) if customers else None), customers
        return rate(*RATES_OF[metric])


RATES_OF = {
    "csat": ("csat", "satisfied", "n"),
    "survey_response_rate": ("surveys", "answered", "requested"),
    "fcr_rate": ("cases", "first_contact", "n"),
    "complaint_rate": ("interactions", "complaints", "inbound"),
    "referral_rate": ("registrations", "referred", "n"),
    "delivery_success_rate": ("notifications", "delivered", "outcomes"),
    "quiet_hours_share": ("notifications", "quiet_hours", "held"),
    "opt_out_rate": ("consents", "withdrawn", "decisions"),
}
