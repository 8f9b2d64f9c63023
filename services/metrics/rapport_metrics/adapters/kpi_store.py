"""The KPI read models and counter series in MongoDB: the pipeline's ``ReadModels`` and the
queries' ``CounterSeries`` (``service_layer.ports``).

Every collection name takes ``suffix``: "" for the live read models, the kit's rebuild suffix for
the fresh set ``rapport-ops rebuild metrics kpis`` folds and then switches in (``read_models``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_kit.projection import ProjectedEvent, Projection
from rapport_kit.projection_store import ProjectionStore
from rapport_kit.rebuild import Renamed
from rapport_metrics.adapters.collections import counters_collection
from rapport_metrics.domain.documents import (
    AwaitingInbound,
    ContactTally,
    CounterDocument,
    CustomerDocument,
    DirectoryEntry,
    SurveyPair,
)
from rapport_metrics.domain.kpis import Counters
from rapport_metrics.views.counters import KeyedContributions, KpiCounters, SeriesId, Shelf
from rapport_metrics.views.customers import CUSTOMERS
from rapport_metrics.views.directory import DIRECTORY
from rapport_metrics.views.responses import AWAITING
from rapport_metrics.views.surveys import SURVEYS
from rapport_metrics.views.tallies import TALLIES

BOOKKEEPING = ("_wm", "_v")


class MongoReadModels:
    def __init__(self, db: AsyncDatabase[Document], *, suffix: str = "") -> None:
        self.db = db
        self.suffix = suffix

    async def apply(
        self, projection: Projection, batch: Sequence[ProjectedEvent]
    ) -> dict[str, Document]:
        if self.suffix:
            projection = Renamed(projection, projection.collection + self.suffix)
        return (await ProjectionStore(self.db, projection).apply(batch)).documents

    async def fold_counters(
        self, keyed: KeyedContributions, batch: Sequence[ProjectedEvent]
    ) -> dict[str, CounterDocument]:
        # Shelves are independent collections: written concurrently (a failure fails the batch,
        # which is redelivered; what did get written is skipped by watermarks).
        counters: dict[str, CounterDocument] = {}
        for documents in await asyncio.gather(
            *(
                self.apply(KpiCounters(keyed, shelf, counters_collection(shelf)), batch)
                for shelf in keyed.shelves(batch)
            )
        ):
            counters |= cast(dict[str, CounterDocument], documents)
        return counters

    async def directory(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, DirectoryEntry]:
        return cast(dict[str, DirectoryEntry], await self._load(DIRECTORY, ids, known))

    async def customers(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, CustomerDocument]:
        return cast(dict[str, CustomerDocument], await self._load(CUSTOMERS, ids, known))

    async def awaiting(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, AwaitingInbound]:
        return cast(dict[str, AwaitingInbound], await self._load(AWAITING, ids, known))

    async def surveys(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, SurveyPair]:
        return cast(dict[str, SurveyPair], await self._load(SURVEYS, ids, known))

    async def tallies(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, ContactTally]:
        return cast(dict[str, ContactTally], await self._load(TALLIES, ids, known))

    async def forget_awaiting(self, contact_ids: Sequence[str]) -> None:
        await self.db[AWAITING + self.suffix].delete_many(
            {"contact_id": {"$in": list(contact_ids)}}
        )

    async def _load(
        self, collection: str, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, Any]:
        """Documents by id, without the projection bookkeeping; those in ``known`` (documents
        this batch just folded) are taken from there instead of being read again."""
        wanted = set(ids)
        found = {i: _without_bookkeeping(known[i]) for i in wanted if i in known}
        missing = sorted(wanted - set(found))
        if not missing:
            return found
        cursor = self.db[collection + self.suffix].find(
            {"_id": {"$in": missing}}, {"_wm": 0, "_v": 0}
        )
        return found | {document["_id"]: document async for document in cursor}


def _without_bookkeeping(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in BOOKKEEPING}


class MongoCounterSeries:
    def __init__(self, db: AsyncDatabase[Document], *, suffix: str = "") -> None:
        self.db = db
        self.suffix = suffix

    async def shelf(
        self, shelf: Shelf, segment_values: Iterable[str] | None = None
    ) -> dict[SeriesId, dict[date, Counters]]:
        collection = self.db[counters_collection(shelf) + self.suffix]
        return await read_collection(collection, segment_values)

    async def series(self, series: SeriesId) -> dict[date, Counters]:
        """Every window of one series: bounded by the number of windows, never a scan of events."""
        family, window, kind, value = series
        collection = self.db[counters_collection((family, window, kind)) + self.suffix]
        return {
            date.fromisoformat(document["start"]): document["counters"]
            async for document in collection.find(
                {"segment_value": value}, {"start": 1, "counters": 1}
            )
        }


async def read_collection(
    collection: AsyncCollection[Document], segment_values: Iterable[str] | None = None
) -> dict[SeriesId, dict[date, Counters]]:
    """Every series of one counters collection, or only those of ``segment_values``."""
    query = {} if segment_values is None else {"segment_value": {"$in": sorted(segment_values)}}
    series: dict[SeriesId, dict[date, Counters]] = {}
    async for document in collection.find(query, {"_wm": 0, "_v": 0}):
        start = date.fromisoformat(document["start"])
        key = (
            document["family"],
            document["window"],
            document["segment_kind"],
            document["segment_value"],
        )
        series.setdefault(key, {})[start] = document["counters"]
    return series
