"""Each contact's tally of event-level counts (``domain.tally``), folded after the snapshots the
contributions read and before the counters, which take the moves it records."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_metrics.domain.context import Contribution
from rapport_metrics.domain.directory import Directory
from rapport_metrics.domain.resegment import segment_map
from rapport_metrics.domain.tally import tallied
from rapport_schemas.contacts import ContactRegistered, ContactUpdated

TALLIES = "tallies"


class ContactTallies:
    collection = TALLIES

    def __init__(
        self, directory: Directory, contributions: Callable[[ProjectedEvent], list[Contribution]]
    ) -> None:
        self.directory = directory
        self.contributions = contributions

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        owners = [c.owner[0] for c in self.contributions(received) if c.owner]
        data = received.data
        if isinstance(data, ContactRegistered | ContactUpdated):  # a move, even with no count
            owners.append(data.contact_id)
        return [o for o in dict.fromkeys(owners) if not self.directory.erased(o)]

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        own = [c for c in self.contributions(received) if c.owner and c.owner[0] == key]
        segments = segment_map(self.directory.segments(key))
        return tallied(dict(state or {}), segments, received.event.id, own)
