"""Counters of distinct contacts (active, buyers, repeat buyers, first-time buyers) and revenue.

An event is credited only with what the per-contact document says IT caused (see ``customers``);
a merge takes the absorbed contact's whole contribution away and credits what the survivor gained.
"""

from __future__ import annotations

from datetime import datetime

from rapport_kit.projection import Document
from rapport_metrics.domain.context import Context, Contribution, Increment
from rapport_metrics.domain.customers import activity_time
from rapport_metrics.domain.directory import Segment
from rapport_metrics.domain.formulas import convert
from rapport_metrics.domain.windows import contains, parse_period
from rapport_schemas.contacts import ContactsMerged, PurchaseRecorded
from rapport_schemas.envelope import EventData


def contact_contributions(data: EventData, event_id: str, ctx: Context) -> list[Contribution]:
    found: list[Contribution] = []
    if isinstance(data, PurchaseRecorded):
        revenue = convert(data.amount, data.currency, ctx.rates)
        found.append(
            Contribution(
                "purchases",
                ctx.at(data.occurred_at),
                ctx.segments(data.contact_id),
                {"purchases": 1, "revenue": revenue},
            )
        )
    if isinstance(data, ContactsMerged):
        absorbed = ctx.customers.get(data.contact_id, {})
        found += _contact_counts(
            absorbed,
            None,
            ctx.directory.segments(data.contact_id),
            _registered(ctx, data.contact_id),
            ctx,
            sign=-1,
        )
        contact = ctx.directory.resolve(data.survivor_id)
    elif isinstance(data, PurchaseRecorded) or activity_time(data, ctx.activity):
        contact = ctx.directory.resolve(str(getattr(data, "contact_id", "")))
    else:
        return found
    return found + _contact_counts(
        ctx.customers.get(contact, {}),
        event_id,
        ctx.directory.segments(contact),
        _registered(ctx, contact),
        ctx,
        sign=1,
    )


def _registered(ctx: Context, contact: str) -> datetime | None:
    registered = ctx.directory.entry(contact).get("registered_at")
    return datetime.fromisoformat(registered) if registered else None


def _contact_counts(
    doc: Document,
    credited_to: str | None,
    segments: tuple[Segment, ...],
    registered: datetime | None,
    ctx: Context,
    *,
    sign: int,
) -> list[Contribution]:
    """What ``doc`` credits to the event ``credited_to`` (None: everything), times ``sign``."""
    found = []
    for period, activator in doc.get("active", {}).items():
        if credited_to in (None, activator):
            size, start = parse_period(period)
            new = registered is not None and contains(size, start, registered, ctx.zone)
            counters: dict[str, Increment] = {"active": sign, "new_active": sign * int(new)}
            found.append(Contribution("activity", ((size, start),), segments, counters))
    for period, buyers in doc.get("bought", {}).items():
        counters = {
            name: sign
            for name, buyer in zip(("buyers", "repeat_buyers"), buyers, strict=False)
            if credited_to in (None, buyer)
        }
        if counters:
            found.append(Contribution("purchases", (parse_period(period),), segments, counters))
    return found + _first_buyer(doc, credited_to, segments, ctx, sign=sign)


def _first_buyer(
    doc: Document,
    credited_to: str | None,
    segments: tuple[Segment, ...],
    ctx: Context,
    *,
    sign: int,
) -> list[Contribution]:
    """Contacts counted once, in the window of their earliest purchase (for lifetime value)."""
    if credited_to is None:
        moves = [(None, doc["first_purchase_at"])] if doc.get("first_purchase_at") else []
    else:
        moves = (
            [tuple(doc["first_purchase_moves"][credited_to])]
            if credited_to in doc.get("first_purchase_moves", {})
            else []
        )
    found = []
    for old, new in moves:
        if old is not None:
            found.append(
                Contribution(
                    "purchases",
                    ctx.at(datetime.fromisoformat(old)),
                    segments,
                    {"first_buyers": -sign},
                )
            )
        found.append(
            Contribution(
                "purchases", ctx.at(datetime.fromisoformat(new)), segments, {"first_buyers": sign}
            )
        )
    return found
