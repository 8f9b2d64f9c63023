"""Folding is idempotent per partition watermark and versioned for optimistic writes."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent, fold
from tests.support.events import interaction, projected


class CountPerContact:
    collection = "counts"

    def keys(self, event: ProjectedEvent) -> Sequence[str]:
        return (event.event.subject,)

    def evolve(
        self, state: Document | None, event: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        return {"count": (state or {"count": 0})["count"] + 1}


def test_a_redelivered_batch_changes_nothing() -> None:
    batch = [projected(interaction("c1"), offset=o) for o in range(3)]
    first = fold(CountPerContact(), {}, batch)
    assert first.changed["c1"]["count"] == 3 and first.changed["c1"]["_v"] == 1
    again = fold(CountPerContact(), dict(first.changed), batch)
    assert again.changed == {}


def test_a_batch_overlapping_what_was_stored_applies_only_the_new_part() -> None:
    stored = fold(CountPerContact(), {}, [projected(interaction("c1"), offset=o) for o in range(2)])
    overlapping = [projected(interaction("c1"), offset=o) for o in range(1, 5)]
    result = fold(CountPerContact(), dict(stored.changed), overlapping)
    assert result.changed["c1"]["count"] == 5
    assert result.read_versions["c1"] == 1 and result.changed["c1"]["_v"] == 2


def test_watermarks_are_per_partition() -> None:
    result = fold(
        CountPerContact(),
        {},
        [
            projected(interaction("c1"), offset=7, partition=0),
            projected(interaction("c1"), offset=3, partition=1),
        ],
    )
    assert result.changed["c1"]["count"] == 2
    assert result.changed["c1"]["_wm"] == {"t~0": 7, "t~1": 3}
