"""The KPI counters: one document per (family, window, window start, segment).

Folded with the kit's ``fold`` (per-partition watermarks), so a redelivered event never adds
twice. The documents are grouped in shelves (family, window size, segment kind), folded one
shelf at a time; ``adapters.collections`` stores each shelf in its own collection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_metrics.domain.contact_kpis import contact_contributions
from rapport_metrics.domain.context import Context, Contribution
from rapport_metrics.domain.documents import ContactTally, CounterDocument
from rapport_metrics.domain.event_kpis import event_contributions
from rapport_metrics.domain.notification_kpis import notification_contributions
from rapport_metrics.domain.tally import add, moved
from rapport_metrics.domain.windows import Point

Shelf = tuple[str, str, str]  # family, window size, segment kind


def shelf_of(key: str) -> Shelf:
    family, window, _, segment = key.split("|", maxsplit=3)
    return family, window, segment.split("=", maxsplit=1)[0]


def counter_key(family: str, point: Point, segment: tuple[str, str]) -> str:
    size, start = point
    return f"{family}|{size.value}|{start.isoformat()}|{segment[0]}={segment[1]}"


def contributions(received: ProjectedEvent, context: Context) -> list[Contribution]:
    data, event_id = received.data, received.event.id
    return (
        event_contributions(data, event_id, context)
        + contact_contributions(data, event_id, context)
        + notification_contributions(data, context)
    )


def _new_counters(key: str, contribution: Contribution) -> Document:
    """Fields to query by; the key's parts are found again from the contribution that made it."""
    for point in contribution.points:
        for segment in contribution.segments:
            if counter_key(contribution.family, point, segment) == key:
                return {
                    "family": contribution.family,
                    "window": point[0].value,
                    "start": point[1].isoformat(),
                    "segment_kind": segment[0],
                    "segment_value": segment[1],
                    "counters": {},
                }
    raise AssertionError(key)


class KeyedContributions:
    """Each event's contributions with their counter keys, computed once per batch: its own
    (``own``, which the contacts' tallies fold) and the tally moves credited to it."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.tallies: Mapping[str, ContactTally] = {}
        self._own: dict[str, list[Contribution]] = {}
        self._cache: dict[str, list[tuple[str, Contribution]]] = {}
        self._by_shelf: dict[str, dict[Shelf, list[str]]] = {}

    def own(self, received: ProjectedEvent) -> list[Contribution]:
        event_id = received.event.id
        if event_id not in self._own:
            self._own[event_id] = contributions(received, self.context)
        return self._own[event_id]

    def with_tallies(self, tallies: Mapping[str, ContactTally]) -> KeyedContributions:
        """Once the tallies are folded: their moves join the contributions."""
        self.tallies = tallies
        self._cache.clear()
        self._by_shelf.clear()
        return self

    def __call__(self, received: ProjectedEvent) -> list[tuple[str, Contribution]]:
        event_id = received.event.id
        if event_id not in self._cache:
            vocabularies = self.context.directory.vocabularies
            found = self.own(received) + [
                c
                for tally in self.tallies.values()
                for c in moved(dict(tally), event_id, vocabularies)
            ]
            self._cache[event_id] = [
                (counter_key(c.family, point, segment), c)
                for c in found
                for point in c.points
                for segment in c.segments
            ]
        return self._cache[event_id]

    def keys(self, received: ProjectedEvent) -> list[str]:
        return list(dict.fromkeys(key for key, _ in self(received)))

    def by_shelf(self, received: ProjectedEvent) -> dict[Shelf, list[str]]:
        event_id = received.event.id
        if event_id not in self._by_shelf:
            grouped: dict[Shelf, list[str]] = {}
            for key in self.keys(received):
                grouped.setdefault(shelf_of(key), []).append(key)
            self._by_shelf[event_id] = grouped
        return self._by_shelf[event_id]

    def shelves(self, batch: Sequence[ProjectedEvent]) -> list[Shelf]:
        return sorted({shelf for r in batch for shelf in self.by_shelf(r)})


class KpiCounters:
    """The counters of one shelf (family, window size and segment kind), in ``collection``."""

    def __init__(self, keyed: KeyedContributions, shelf: Shelf, collection: str) -> None:
        self.shelf = shelf
        self.collection = collection
        self._keyed = keyed

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return self._keyed.by_shelf(received).get(self.shelf, [])

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        matching = [c for k, c in self._keyed(received) if k == key]
        current = state or _new_counters(key, matching[0])
        counters = current["counters"]
        for contribution in matching:
            counters = add(counters, contribution.increments)
        return {**current, "counters": counters}


SeriesId = tuple[str, str, str, str]  # family, window, segment kind, segment value


def series_of(document: CounterDocument) -> SeriesId:
    return (
        document["family"],
        document["window"],
        document["segment_kind"],
        document["segment_value"],
    )
