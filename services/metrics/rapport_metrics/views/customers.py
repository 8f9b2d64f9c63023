"""Per-contact state behind retention, repeat purchase and lifetime value.

For every period the document records WHICH event first made the contact active there (which made
it active in two consecutive periods — retained —, a buyer, a repeat buyer, or moved its first
purchase). The counters view then counts
an event only if it is that recorded event, so redelivery, any interleaving of topics and merges
never count a contact twice. Merges: the survivor takes the union; what it newly gains is recorded
under the merge event's id, and the absorbed document keeps its data (``merged_into``) so the
counters can take its contribution away.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_metrics.domain.activity import activity_time
from rapport_metrics.domain.directory import Directory
from rapport_metrics.domain.resegment import resegmented, segment_map
from rapport_metrics.domain.windows import parse_period, period_key, points, previous_start
from rapport_schemas.contacts import (
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    PurchaseRecorded,
)

CUSTOMERS = "customers"


class CustomerActivity:
    collection = CUSTOMERS

    def __init__(self, directory: Directory, zone: ZoneInfo, activity: frozenset[str]) -> None:
        self.directory = directory
        self.zone = zone
        self.activity = activity

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, ContactsMerged):
            return (data.contact_id, self.directory.resolve(data.survivor_id))
        segmenting = isinstance(data, PurchaseRecorded | ContactRegistered | ContactUpdated)
        if not segmenting and activity_time(data, self.activity) is None:
            return ()
        contact = self.directory.resolve(str(getattr(data, "contact_id", "")))
        return () if self.directory.erased(contact) else (contact,)

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data, event_id = received.data, received.event.id
        segments = segment_map(self.directory.segments(key))
        current = resegmented(dict(state or {}), segments, event_id)
        if isinstance(data, ContactsMerged):
            if key == data.contact_id:
                return {**current, "merged_into": data.survivor_id}
            return absorb(current, lookup(data.contact_id) or {}, event_id)
        at = activity_time(data, self.activity)
        if at is not None:
            current["active"] = _mark(current.get("active", {}), at, self.zone, event_id)
            current["retained"] = retained(current, event_id)
        if isinstance(data, PurchaseRecorded):
            current = _purchase(current, data.occurred_at, self.zone, event_id)
        return current


def _mark(active: dict[str, str], at: datetime, zone: ZoneInfo, event_id: str) -> dict[str, str]:
    marked = dict(active)
    for size, start in points(at, zone):
        marked.setdefault(period_key(size, start), event_id)
    return marked


def retained(current: Document, event_id: str) -> dict[str, str]:
    """Periods active after an active previous period (the retention cohort's returns), each
    recorded under the event that completed the pair, whichever of the two came last."""
    active, marked = current.get("active", {}), dict(current.get("retained", {}))
    for period in active:
        size, start = parse_period(period)
        if period not in marked and period_key(size, previous_start(start, size)) in active:
            marked[period] = event_id
    return marked


def _purchase(current: Document, at: datetime, zone: ZoneInfo, event_id: str) -> Document:
    bought = {k: list(v) for k, v in current.get("bought", {}).items()}
    for size, start in points(at, zone):
        ids = bought.setdefault(period_key(size, start), [])
        if len(ids) < 2:
            ids.append(event_id)
    current["bought"] = bought
    return _first_purchase(current, at.isoformat(), event_id)


def _first_purchase(current: Document, at: str | None, event_id: str) -> Document:
    """Keep the earliest purchase time; record a move under the event that caused it."""
    old = current.get("first_purchase_at")
    if at is None or (
        old is not None and datetime.fromisoformat(old) <= datetime.fromisoformat(at)
    ):
        return current
    moves = {**current.get("first_purchase_moves", {}), event_id: [old, at]}
    return {**current, "first_purchase_at": at, "first_purchase_moves": moves}


def absorb(survivor: Document, absorbed: Document, merge_id: str) -> Document:
    """The union of both contacts' periods; what the survivor gains is credited to the merge."""
    active = dict(survivor.get("active", {}))
    for period in absorbed.get("active", {}):
        active.setdefault(period, merge_id)
    bought = {k: list(v) for k, v in survivor.get("bought", {}).items()}
    for period, ids in absorbed.get("bought", {}).items():
        mine = bought.setdefault(period, [])
        mine.extend([merge_id] * (min(2, len(mine) + len(ids)) - len(mine)))
    merged = {**survivor, "active": active, "bought": bought}
    merged["retained"] = retained(merged, merge_id)
    return _first_purchase(merged, absorbed.get("first_purchase_at"), merge_id)
