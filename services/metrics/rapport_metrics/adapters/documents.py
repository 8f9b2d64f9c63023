"""Reading read-model documents and counter series from MongoDB."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_metrics.domain.counters import counters_collection
from rapport_metrics.domain.kpis import Counters

SeriesId = tuple[str, str, str, str]  # family, window, segment kind, segment value


async def load(collection: AsyncCollection[Document], ids: Iterable[str]) -> dict[str, Document]:
    """Documents by id, without the projection bookkeeping."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    cursor = collection.find({"_id": {"$in": wanted}}, {"_wm": 0, "_v": 0})
    return {document["_id"]: document async for document in cursor}


def series_of(document: Document) -> SeriesId:
    return (
        document["family"],
        document["window"],
        document["segment_kind"],
        document["segment_value"],
    )


async def read_collection(
    collection: AsyncCollection[Document],
) -> dict[SeriesId, dict[date, Counters]]:
    """Every series of one counters collection (a batch may need many of them)."""
    series: dict[SeriesId, dict[date, Counters]] = {}
    async for document in collection.find({}, {"_wm": 0, "_v": 0}):
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
