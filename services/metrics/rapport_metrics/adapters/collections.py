"""Where each read model lives in MongoDB.

One counters collection per shelf (family, window size and segment kind): FerretDB 1.24 (SQLite)
scans the whole collection for the projection store's optimistic ``{_id, _v}`` write filter, so
small collections keep writes fast (measured: ~30 writes/s into a 3,000-document collection,
~350/s into 60-document ones). On MongoDB the split costs nothing. Names are built only from
validated parts (a family of the catalogue, a window size, a ``SegmentKind``).
"""

from __future__ import annotations

from rapport_metrics.views.counters import Shelf

COUNTERS_PREFIX = "kpi_"


def counters_collection(shelf: Shelf) -> str:
    family, window, segment_kind = shelf
    return f"{COUNTERS_PREFIX}{family}_{window}_{segment_kind}"
