"""KPI queries over HTTP: a window range of one segment, and the same as chart-ready columns."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from rapport_kit.http import require_scope
from rapport_metrics.adapters.kpi_queries import KpiPoint, KpiQueries, SeriesQuery
from rapport_metrics.domain.kpis import METRICS
from rapport_schemas.metrics import WindowSize

router = APIRouter(
    prefix="/kpis", tags=["kpis"], dependencies=[Depends(require_scope("metrics:read"))]
)


def queries(request: Request) -> KpiQueries:
    kpi_queries: KpiQueries = request.app.state.kpi_queries
    return kpi_queries


def series_query(
    metric: str,
    *,
    window: WindowSize = WindowSize.MONTH,
    segment_kind: Annotated[str, Query(max_length=32)] = "all",
    segment_value: Annotated[str, Query(max_length=64)] = "all",
    from_: Annotated[date | None, Query(alias="from", description="First window's day")] = None,
    to: Annotated[date | None, Query(description="Last window's day")] = None,
) -> SeriesQuery:
    if metric not in METRICS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown metric '{metric}'")
    if from_ and to and from_ > to:
        raise HTTPException(422, "'from' is after 'to'")
    return SeriesQuery(metric, window, segment_kind, segment_value, from_, to)


Kpis = Annotated[KpiQueries, Depends(queries)]
Series = Annotated[SeriesQuery, Depends(series_query)]


class Chart(BaseModel):
    metric: str
    window: WindowSize
    unit: str
    window_starts: list[date]
    values: list[float | None]
    sample_sizes: list[int]
    ci_low: list[float | None]
    ci_high: list[float | None]
    too_few: list[bool]


@router.get("")
async def list_metrics() -> dict[str, str]:
    """Every metric name and the counters family it is computed from."""
    return {name: metric.family for name, metric in METRICS.items()}


@router.get("/{metric}")
async def kpi_series(kpis: Kpis, query: Series) -> list[KpiPoint]:
    """The windows that have data, each with value, n, 95 % CI and the too-few flag."""
    return await kpis.points(query)


@router.get("/{metric}/chart")
async def kpi_chart(kpis: Kpis, query: Series) -> Chart:
    """Every window of the range (gaps filled with nulls), as columns a chart library takes."""
    points = await kpis.points(query, fill_gaps=True)
    unit = points[0].unit if points else ""
    return Chart(
        metric=query.metric,
        window=query.window,
        unit=unit,
        window_starts=[p.window_start for p in points],
        values=[p.value for p in points],
        sample_sizes=[p.n for p in points],
        ci_low=[p.ci_low for p in points],
        ci_high=[p.ci_high for p in points],
        too_few=[p.too_few for p in points],
    )
