"""KPI values for a window range of one segment, from the counters (never from events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_metrics.adapters.documents import read_series
from rapport_metrics.adapters.exchange_rates import ExchangeRates
from rapport_metrics.domain.formulas import KpiValue
from rapport_metrics.domain.kpis import METRICS, window_values
from rapport_metrics.domain.windows import start_of, starts_between, window_count
from rapport_metrics.settings import MetricsSettings
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
        self, db: AsyncDatabase[Document], settings: MetricsSettings, rates: ExchangeRates
    ) -> None:
        self.db = db
        self.settings = settings
        self.rates = rates

    async def points(
        self, query: SeriesQuery, *, fill_gaps: bool = False, max_windows: int | None = None
    ) -> list[KpiPoint]:
        """Windows with counters; with ``fill_gaps`` every window of the range (a window without
        counters gets the metric's value there: carried lifetime value, retention 0 %, or null)."""
        metric = METRICS[query.metric]
        series = await read_series(
            self.db,
            (metric.family, query.window.value, query.segment_kind, query.segment_value),
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
            minimum=self.settings.min_sample_size,
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
