"""Reading read-model documents and counter series from MongoDB."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_metrics.domain.counters import counters_collection
from rapport_metrics.domain.kpis import Counters

SeriesId = tuple[str, str, str, str]  # family, window, segment kind, segment value


async def load(
    collection: AsyncCollection[Document],
    ids: Iterable[str],
    known: Mapping[str, Document] | None = None,
) -> dict[str, Document]:
    """Documents by id, without the projection bookkeeping; those in ``known`` (documents this
    batch just folded) are taken from there instead of being read again."""
    known = known or {}
    found = {i: _without_bookkeeping(known[i]) for i in set(ids) if i in known}
    wanted = sorted(set(ids) - set(found))
    if not wanted:
        return found
    cursor = collection.find({"_id": {"$in": wanted}}, {"_wm": 0, "_v": 0})
    return found | {document["_id"]: document async for document in cursor}


def _without_bookkeeping(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in ("_wm", "_v")}


def series_of(document: Document) -> SeriesId:
    return (
        document["family"],
        document["window"],
        document["segment_kind"],
        document["segment_value"],
    )


async def read_collection(
    collection: AsyncCollection[Document], segment_values: Iterable[str] | None = None
) -> dict[SeriesId, dict[date, Counters]]:
    """Every series of one counters collection, or only those of ``segment_values``."""
    query = {} if segment_values is None else {"segment_value": {"$in": sorted(segment_values)}}
    series: dict[SeriesId, dict[date, Counters]] = {}
    async for document in collection.find(query, {"_wm": 0, "_v": 0}):
        start = date.fromisoformat(document["start"])
        series.setdefault(series_of(document), {})[start] = document["counters"]
    return series


async def read_series(db: AsyncDatabase[Document], series: SeriesId) -> dict[date, Counters]:
    """Every window of one series: bounded by the number of windows, never a scan of events."""
    family, window, kind, value = series
    query = {"segment_value": value}
    return {
        date.fromisoformat(document["start"]): document["counters"]
        async for document in db[counters_collection(family, window, kind)].find(
            query, {"start": 1, "counters": 1}
        )
    }
