"""KPI queries over HTTP: a window range of one segment, and the same as chart-ready columns.

Every query parameter is checked before anything is read: the segment kind is one of the known
kinds (collection names are built only from it), the value matches its kind's pattern or
vocabulary, and a chart spans a bounded number of windows — a 422 naming the parameter, never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel

from rapport_kit.http import require_scope
from rapport_metrics.domain.kpis import METRICS
from rapport_metrics.domain.segments import SegmentKind, allowed
from rapport_metrics.domain.windows import window_count, window_start
from rapport_metrics.service_layer.reading import KpiPoint, KpiQueries, SeriesQuery, TooManyWindows
from rapport_schemas.metrics import WindowSize

router = APIRouter(
    prefix="/kpis", tags=["kpis"], dependencies=[Depends(require_scope("metrics:read"))]
)
EARLIEST = date(1970, 1, 1)  # no KPI window predates it; also keeps window arithmetic in range
Day = Annotated[date | None, Query(ge=EARLIEST)]


def queries(request: Request) -> KpiQueries:
    kpi_queries: KpiQueries = request.app.state.kpi_queries
    return kpi_queries


def refused(parameter: str, message: str) -> HTTPException:
    """A 422 in FastAPI's own validation format, naming the query parameter."""
    detail: list[dict[str, Any]] = [
        {"loc": ["query", parameter], "msg": message, "type": "value_error"}
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


def series_query(
    request: Request,
    metric: str,
    *,
    window: WindowSize = WindowSize.MONTH,
    segment_kind: SegmentKind = SegmentKind.ALL,
    segment_value: Annotated[str, Query(max_length=64)] = "all",
    from_: Annotated[Day, Query(alias="from", description="First window's day")] = None,
    to: Annotated[Day, Query(description="Last window's day")] = None,
) -> SeriesQuery:
    if metric not in METRICS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown metric '{metric}'")
    if not allowed(segment_kind, segment_value, request.app.state.vocabularies):
        raise refused(
            "segment_value", f"not a {segment_kind.value} segment value (see GET /segments)"
        )
    if from_ and to and from_ > to:
        raise refused("from", "'from' is after 'to'")
    return SeriesQuery(metric, window, segment_kind.value, segment_value, from_, to)


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
async def kpi_chart(request: Request, kpis: Kpis, query: Series) -> Chart:
    """Every window of the range as columns a chart library takes: a window without events has
    the metric's value there (lifetime value carried over, retention of the cohort) or null."""
    cap: int = request.app.state.chart_max_windows
    today = window_start(request.app.state.clock(), query.window, request.app.state.zone)
    if query.last and window_count(today, query.last, query.window) > cap:
        # Refused whatever the data: a chart cannot end further ahead than it may be long.
        raise refused("to", f"'to' is more than {cap} {query.window.value} windows ahead")
    try:
        points = await kpis.points(query, fill_gaps=True, max_windows=cap)
    except TooManyWindows:
        raise refused(
            "to", f"the chart from 'from' to 'to' spans more than {cap} windows"
        ) from None
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
