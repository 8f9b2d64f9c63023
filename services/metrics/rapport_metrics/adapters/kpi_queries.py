"""KPI values for a window range of one segment, from the counters (never from events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_metrics.adapters.documents import read_series
from rapport_metrics.domain.formulas import KpiValue
from rapport_metrics.domain.kpis import METRICS, window_values
from rapport_metrics.domain.windows import start_of, starts_between
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


class KpiQueries:
    def __init__(self, db: AsyncDatabase[Document], settings: MetricsSettings) -> None:
        self.db = db
        self.settings = settings

    async def points(self, query: SeriesQuery, *, fill_gaps: bool = False) -> list[KpiPoint]:
        metric = METRICS[query.metric]
        series = await read_series(
            self.db,
            (metric.family, query.window.value, query.segment_kind, query.segment_value),
        )
        values = window_values(
            metric,
            series,
            query.window,
            minimum=self.settings.min_sample_size,
            currency=self.settings.base_currency,
        )
        first = start_of(query.first, query.window) if query.first else None
        last = start_of(query.last, query.window) if query.last else None
        starts = sorted(values)
        if fill_gaps and starts:
            starts = starts_between(first or starts[0], last or starts[-1], query.window)
        unit = next(iter(values.values())).unit if values else ""
        empty = KpiValue(None, 0, None, None, True, unit)
        return [
            _point(start, values.get(start, empty))
            for start in starts
            if (first is None or start >= first) and (last is None or start <= last)
        ]


def _point(start: date, kpi: KpiValue) -> KpiPoint:
    return KpiPoint(
        window_start=start,
        value=kpi.value,
        n=kpi.n,
        ci_low=kpi.ci_low,
        ci_high=kpi.ci_high,
        too_few=kpi.too_few,
        unit=kpi.unit,
    )
