"""In-memory fakes of every port of the metrics service (``service_layer.ports``), and of the
consumer's ``Sightings``: the read models fold with the kit's pure ``fold``, as the MongoDB
adapters do through ``ProjectionStore``."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.idempotency import KeptAnswer
from rapport_kit.projection import Document, ProjectedEvent, Projection, fold
from rapport_metrics.domain.documents import (
    AwaitingInbound,
    ContactTally,
    CounterDocument,
    CustomerDocument,
    DirectoryEntry,
    SurveyPair,
)
from rapport_metrics.domain.kpis import Counters
from rapport_metrics.domain.rates import RateTable
from rapport_metrics.views.counters import KeyedContributions, KpiCounters, SeriesId, Shelf
from rapport_schemas.metrics import MetricComputed

BOOKKEEPING = ("_id", "_wm", "_v")
NOW = datetime(2025, 11, 3, 12, tzinfo=UTC)


class InMemoryReadModels:
    """``ReadModels``: one dictionary per collection; counters one per shelf."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, Document]] = {}
        self.shelves: dict[Shelf, dict[str, Document]] = {}

    async def apply(
        self, projection: Projection, batch: Sequence[ProjectedEvent]
    ) -> dict[str, Document]:
        return self._fold(projection, self.collections.setdefault(projection.collection, {}), batch)

    async def fold_counters(
        self, keyed: KeyedContributions, batch: Sequence[ProjectedEvent]
    ) -> dict[str, CounterDocument]:
        counters: dict[str, Document] = {}
        for shelf in keyed.shelves(batch):
            stored = self.shelves.setdefault(shelf, {})
            counters |= self._fold(KpiCounters(keyed, shelf, "|".join(shelf)), stored, batch)
        return cast(dict[str, CounterDocument], counters)

    async def directory(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, DirectoryEntry]:
        return cast(dict[str, DirectoryEntry], self._load("directory", ids, known))

    async def customers(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, CustomerDocument]:
        return cast(dict[str, CustomerDocument], self._load("customers", ids, known))

    async def awaiting(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, AwaitingInbound]:
        return cast(dict[str, AwaitingInbound], self._load("awaiting", ids, known))

    async def surveys(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, SurveyPair]:
        return cast(dict[str, SurveyPair], self._load("surveys", ids, known))

    async def tallies(
        self, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, ContactTally]:
        return cast(dict[str, ContactTally], self._load("tallies", ids, known))

    async def forget_awaiting(self, contact_ids: Sequence[str]) -> None:
        awaiting = self.collections.get("awaiting", {})
        for key in [k for k, d in awaiting.items() if d.get("contact_id") in contact_ids]:
            del awaiting[key]

    def counters(self, key: str) -> dict[str, object]:
        """One counter document's counters, by its key (``family|window|start|kind=value``)."""
        family, window, _, segment = key.split("|", maxsplit=3)
        shelf = (family, window, segment.split("=", maxsplit=1)[0])
        return dict(self.shelves.get(shelf, {}).get(key, {}).get("counters", {}))

    def snapshot(self) -> tuple[dict[str, Any], dict[Shelf, Any]]:
        return copy.deepcopy(self.collections), copy.deepcopy(self.shelves)

    @staticmethod
    def _fold(
        projection: Projection, stored: dict[str, Document], batch: Sequence[ProjectedEvent]
    ) -> dict[str, Document]:
        keys = {key for received in batch for key in projection.keys(received)}
        result = fold(projection, {k: stored[k] for k in keys if k in stored}, batch)
        stored.update(result.changed)
        return result.current

    def _load(
        self, collection: str, ids: Iterable[str], known: Mapping[str, Document]
    ) -> dict[str, Document]:
        stored = self.collections.get(collection, {})
        found = {i: known.get(i) or stored.get(i) for i in set(ids)}
        return {
            i: {k: v for k, v in d.items() if k not in BOOKKEEPING}
            for i, d in found.items()
            if d is not None
        }


class InMemoryCounterSeries:
    """``CounterSeries`` over the shelves of an ``InMemoryReadModels``."""

    def __init__(self, read_models: InMemoryReadModels) -> None:
        self.read_models = read_models

    async def shelf(
        self, shelf: Shelf, segment_values: Iterable[str] | None = None
    ) -> dict[SeriesId, dict[date, Counters]]:
        wanted = None if segment_values is None else set(segment_values)
        series: dict[SeriesId, dict[date, Counters]] = {}
        for document in self.read_models.shelves.get(shelf, {}).values():
            if wanted is None or document["segment_value"] in wanted:
                key = (*shelf, document["segment_value"])
                series.setdefault(key, {})[date.fromisoformat(document["start"])] = dict(
                    document["counters"]
                )
        return series

    async def series(self, series: SeriesId) -> dict[date, Counters]:
        found = await self.shelf(series[:3], [series[3]])
        return found.get(series, {})


class FakeExchangeRates:
    """``ExchangeRateBook``: the configured table, posted rates added in memory."""

    def __init__(self, configured: RateTable) -> None:
        self.current = configured

    async def table(self) -> RateTable:
        return self.current

    async def record(
        self, currency: str, valid_from: date, rate: Decimal, *, kept: KeptAnswer | None = None
    ) -> None:
        self.current = self.current.with_rate(currency, valid_from, rate)


class RecordingSink:
    """``MetricSink``: every batch of values sent, in order."""

    def __init__(self) -> None:
        self.sent: list[list[MetricComputed]] = []

    async def send(self, computed: Sequence[MetricComputed]) -> None:
        self.sent.append(list(computed))

    def points(self, batch: int = -1) -> dict[str, MetricComputed]:
        """One send's values by series point key (``metric|window|start|kind=value``)."""
        return {value.partition_key(): value for value in self.sent[batch]}


class RecordingGauges:
    """``KpiObserver``: the headline values observed."""

    segment_kinds = frozenset({"all", "country"})

    def __init__(self) -> None:
        self.observed: list[MetricComputed] = []

    def observe(self, computed: MetricComputed) -> None:
        if computed.segment_kind in self.segment_kinds:
            self.observed.append(computed)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeSeenEvents:
    """The consumer's ``Sightings``: an event id seen at other coordinates is a duplicate."""

    def __init__(self) -> None:
        self.first_seen: dict[str, tuple[str, int, int]] = {}

    async def first_sightings(self, events: Sequence[ReceivedEvent]) -> list[ReceivedEvent]:
        fresh = []
        for received in events:
            where = (received.topic, received.partition, received.offset)
            if self.first_seen.setdefault(received.event.id, where) == where:
                fresh.append(received)
        return fresh
