"""The read use cases: KPI values for a window range of one segment, from the counters (never
from events), and the exchange rates (reading them, posting one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from rapport_kit.idempotency import KeptAnswer
from rapport_metrics.domain.formulas import KpiValue
from rapport_metrics.domain.kpis import METRICS, window_values, with_data
from rapport_metrics.domain.rates import RateTable
from rapport_metrics.domain.windows import start_of, starts_between, window_count
from rapport_metrics.service_layer.ports import CounterSeries, ExchangeRateBook
from rapport_metrics.service_layer.publishing import PointPublisher
from rapport_schemas.metrics import WindowSize


@dataclass(frozen=True)
class SeriesQuery:
    metric: str
    window: WindowSize
    segment_kind: str
    segment_value: str
    first: date | None
    last: date | None


class KpiPoint(BaseModel):
    window_start: date
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    too_few: bool
    unit: str
    unconverted: dict[str, Decimal] | None = None


class TooManyWindows(ValueError):
    """A gap-filled range longer than the caller allows."""


class KpiQueries:
    def __init__(
        self, counters: CounterSeries, rates: ExchangeRateBook, *, min_sample_size: int
    ) -> None:
        self.counters = counters
        self.rates = rates
        self.min_sample_size = min_sample_size

    async def points(
        self, query: SeriesQuery, *, fill_gaps: bool = False, max_windows: int | None = None
    ) -> list[KpiPoint]:
        """Windows with counts (``with_data``); with ``fill_gaps`` every window of the range (a
        window without counts gets the metric's value there: carried lifetime value, retention
        0 %, or null)."""
        metric = METRICS[query.metric]
        series = with_data(
            await self.counters.series(
                (metric.family, query.window.value, query.segment_kind, query.segment_value)
            )
        )
        first = start_of(query.first, query.window) if query.first else None
        last = start_of(query.last, query.window) if query.last else None
        starts = [
            start
            for start in sorted(series)
            if (first is None or start >= first) and (last is None or start <= last)
        ]
        if fill_gaps and series:
            known = sorted(series)
            first, last = first or known[0], last or known[-1]
            if max_windows and window_count(first, last, query.window) > max_windows:
                raise TooManyWindows(first, last)
            starts = starts_between(first, last, query.window)
        values = window_values(
            metric,
            series,
            query.window,
            minimum=self.min_sample_size,
            rates=await self.rates.table(),
            starts=starts,
        )
        return [_point(start, values[start]) for start in starts]


def _point(start: date, kpi: KpiValue) -> KpiPoint:
    return KpiPoint(
        window_start=start,
        value=kpi.value,
        n=kpi.n,
        ci_low=kpi.ci_low,
        ci_high=kpi.ci_high,
        too_few=kpi.too_few,
        unit=kpi.unit,
        unconverted=dict(kpi.unconverted) if kpi.unconverted else None,
    )


class ExchangeRateDesk:
    """The rate table in force, and a dated rate posted: lifetime values re-valued at once."""

    def __init__(self, rates: ExchangeRateBook, points: PointPublisher) -> None:
        self.rates = rates
        self.points = points

    async def table(self) -> RateTable:
        return await self.rates.table()

    async def record(
        self, currency: str, valid_from: date, rate: Decimal, *, kept: KeptAnswer | None = None
    ) -> None:
        await self.rates.record(currency, valid_from, rate, kept=kept)
        await self.points.republish_family("purchases")
