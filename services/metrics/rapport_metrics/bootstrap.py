"""The one place that wires the metrics service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor

from rapport_kit.runtime import ServiceRuntime
from rapport_metrics.adapters.exchange_rates import ExchangeRates
from rapport_metrics.adapters.gauges import KpiGauges
from rapport_metrics.adapters.kpi_queries import KpiQueries
from rapport_metrics.adapters.metric_stream import MetricStream
from rapport_metrics.entrypoints import http, reference
from rapport_metrics.entrypoints.consumer import KpiPipeline
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import topics

SERVICE = "metrics"
GAUGE_REFRESH_SECONDS = 60.0  # current windows roll over at midnight in the reporting zone


def create_app(
    settings: MetricsSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    gauges = KpiGauges(runtime.registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rates = ExchangeRates(runtime.db, settings.rate_table())
        stream = MetricStream(runtime.db, runtime.broker, settings, gauges, clock, rates=rates)
        app.state.exchange_rates, app.state.metric_stream = rates, stream
        app.state.kpi_queries = KpiQueries(runtime.db, settings, rates)
        runtime.consume(
            "kpis",
            KpiPipeline(runtime.db, settings, stream),
            base_topics=[topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS],
        )
        async with runtime.run(produced_topics=[topics.METRICS]):
            await stream.refresh_gauges()
            refresh = stream.refresh_gauges
            runtime.periodic("gauge refresh", GAUGE_REFRESH_SECONDS, refresh, wait_first=True)
            yield

    app = runtime.app(
        title="Rapport metrics", lifespan=lifespan, routers=[http.router, reference.router]
    )
    app.state.clock, app.state.zone = clock, ZoneInfo(settings.reporting_time_zone)
    app.state.vocabularies = settings.segment_vocabularies
    app.state.chart_max_windows = settings.chart_max_windows
    return app
