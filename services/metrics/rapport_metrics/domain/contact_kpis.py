"""Counters of distinct contacts (active, buyers, repeat buyers, first-time buyers) and revenue.

An event is credited only with what the per-contact document says IT caused (see ``customers``);
a merge takes the absorbed contact's whole contribution away and credits what the survivor gained.
"""

from __future__ import annotations

from datetime import datetime

from rapport_metrics.domain.activity import activity_time
from rapport_metrics.domain.context import Context, Contribution, Increment
from rapport_metrics.domain.directory import Segment
from rapport_metrics.domain.documents import CustomerDocument
from rapport_metrics.domain.rates import amount_counter
from rapport_metrics.domain.resegment import counted_in, move_of
from rapport_metrics.domain.windows import parse_period
from rapport_schemas.contacts import (
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    PurchaseRecorded,
)
from rapport_schemas.envelope import EventData

SEGMENTING = (PurchaseRecorded, ContactRegistered, ContactUpdated)


def contact_contributions(data: EventData, event_id: str, ctx: Context) -> list[Contribution]:
    found: list[Contribution] = []
    if isinstance(data, PurchaseRecorded):
        # In its own currency by day: converted when a value is computed (see ``rates``).
        day = data.occurred_at.astimezone(ctx.zone).date()
        counters: dict[str, Increment] = {
            "purchases": 1,
            amount_counter(data.currency, day): data.amount,
        }
        found.append(ctx.counted("purchases", data.occurred_at, data.contact_id, counters))
    if isinstance(data, ContactsMerged):
        absorbed = ctx.customers.get(data.contact_id, {})
        found += _moved(absorbed, event_id, ctx)
        found += _contact_counts(absorbed, None, counted_in(absorbed), ctx, sign=-1)
        contact = ctx.directory.resolve(data.survivor_id)
    elif isinstance(data, SEGMENTING) or activity_time(data, ctx.activity):
        contact = ctx.directory.resolve(str(getattr(data, "contact_id", "")))
    else:
        return found
    doc = ctx.customers.get(contact, {})
    return (
        found
        + _moved(doc, event_id, ctx)
        + _contact_counts(doc, event_id, counted_in(doc), ctx, sign=1)
    )


def _moved(doc: CustomerDocument, event_id: str, ctx: Context) -> list[Contribution]:
    """A segment change credited to ``event_id``: out of the old segments, into the new."""
    counted, left, entered = move_of(doc, event_id)
    return _contact_counts(counted, None, left, ctx, sign=-1) + _contact_counts(
        counted, None, entered, ctx, sign=1
    )


def _contact_counts(
    doc: CustomerDocument,
    credited_to: str | None,
    segments: tuple[Segment, ...],
    ctx: Context,
    *,
    sign: int,
) -> list[Contribution]:
    """What ``doc`` credits to the event ``credited_to`` (None: everything), times ``sign``."""
    found = []
    for name, periods in (("active", doc.get("active", {})), ("retained", doc.get("retained", {}))):
        for period, activator in periods.items():
            if credited_to in (None, activator):
                counters: dict[str, Increment] = {name: sign}
                found.append(Contribution("activity", (parse_period(period),), segments, counters))
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
    doc: CustomerDocument,
    credited_to: str | None,
    segments: tuple[Segment, ...],
    ctx: Context,
    *,
    sign: int,
) -> list[Contribution]:
    """Contacts counted once, in the window of their earliest purchase (for lifetime value)."""
    moves: list[tuple[str | None, str]] = []
    if credited_to is None:
        moves = [(None, doc["first_purchase_at"])] if doc.get("first_purchase_at") else []
    elif credited_to in doc.get("first_purchase_moves", {}):
        old, new = doc["first_purchase_moves"][credited_to]  # [before, after]; before may be null
        moves = [(old, str(new))]
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
