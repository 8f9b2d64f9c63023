"""What the KPI use cases need from the world; ``adapters/`` implements these on MongoDB and
Kafka, ``tests/unit/fakes.py`` in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from rapport_kit.clock import Clock
from rapport_kit.idempotency import KeptAnswer
from rapport_kit.projection import Document, ProjectedEvent, Projection
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
from rapport_metrics.views.counters import KeyedContributions, SeriesId, Shelf
from rapport_schemas.metrics import MetricComputed

__all__ = [
    "Clock",
    "CounterSeries",
    "ExchangeRateBook",
    "KpiObserver",
    "MetricSink",
    "ReadModels",
]
Known = Mapping[str, Document]


class ReadModels(Protocol):
    """The pipeline's read models: fold a batch into a view, read documents back by id (those in
    ``known``, just folded by this batch, are taken from there), without their bookkeeping."""

    async def apply(
        self, projection: Projection, batch: Sequence[ProjectedEvent]
    ) -> dict[str, Document]:
        """Every document the batch touched, as it now stands."""
        ...

    async def fold_counters(
        self, keyed: KeyedContributions, batch: Sequence[ProjectedEvent]
    ) -> dict[str, CounterDocument]:
        """Every shelf the batch reaches; the counter documents it touched, as they stand."""
        ...

    async def directory(self, ids: Iterable[str], known: Known) -> dict[str, DirectoryEntry]: ...

    async def customers(self, ids: Iterable[str], known: Known) -> dict[str, CustomerDocument]: ...

    async def awaiting(self, ids: Iterable[str], known: Known) -> dict[str, AwaitingInbound]: ...

    async def surveys(self, ids: Iterable[str], known: Known) -> dict[str, SurveyPair]: ...

    async def tallies(self, ids: Iterable[str], known: Known) -> dict[str, ContactTally]: ...

    async def forget_awaiting(self, contact_ids: Sequence[str]) -> None:
        """Erasure: the inbound interactions of these contacts leave ``awaiting``."""
        ...


class CounterSeries(Protocol):
    """The stored counters, by series and window start."""

    async def shelf(
        self, shelf: Shelf, segment_values: Iterable[str] | None = None
    ) -> dict[SeriesId, dict[date, Counters]]:
        """Every series of one shelf, or only those of ``segment_values``."""
        ...

    async def series(self, series: SeriesId) -> dict[date, Counters]: ...


class ExchangeRateBook(Protocol):
    async def table(self) -> RateTable:
        """The configured rates with every posted one."""
        ...

    async def record(
        self, currency: str, valid_from: date, rate: Decimal, *, kept: KeptAnswer | None = None
    ) -> None:
        """``kept``: a keyed request's answer, stored by the same write as the rate."""
        ...


class MetricSink(Protocol):
    async def send(self, computed: Sequence[MetricComputed]) -> None:
        """On the metric stream, in order, acknowledged together."""
        ...


class KpiObserver(Protocol):
    """The headline gauges: told every value of a current window."""

    segment_kinds: frozenset[str]

    def observe(self, computed: MetricComputed) -> None: ...
