"""The one place that wires the metrics service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor

from rapport_kit.clock import Clock, utc_now
from rapport_kit.idempotency import http as idempotency_http
from rapport_kit.idempotency.store import IdempotencyGuard, MongoClaims, forget_expired, kept_in
from rapport_kit.runtime import ServiceRuntime
from rapport_metrics.adapters.exchange_rates import ExchangeRates
from rapport_metrics.adapters.gauges import KpiGauges
from rapport_metrics.adapters.kpi_store import MongoCounterSeries
from rapport_metrics.adapters.metric_stream import KafkaMetricSink
from rapport_metrics.entrypoints import http, reference
from rapport_metrics.entrypoints.consumer import KPIS_CONSUMER
from rapport_metrics.read_models import kpi_pipeline, read_models
from rapport_metrics.service_layer.publishing import PointPublisher
from rapport_metrics.service_layer.reading import ExchangeRateDesk, KpiQueries
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import topics

SERVICE = "metrics"
GAUGE_REFRESH_SECONDS = 60.0  # current windows roll over at midnight in the reporting zone
KEY_SWEEP_SECONDS = 600.0  # expired Idempotency-Keys of POST /exchange-rates are forgotten


def create_app(
    settings: MetricsSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Clock = utc_now,
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    gauges, zone = KpiGauges(runtime.registry), ZoneInfo(settings.reporting_time_zone)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rates, counters = (
            ExchangeRates(runtime.db, settings.rate_table()),
            MongoCounterSeries(runtime.db),
        )
        sink = KafkaMetricSink(runtime.broker, settings.topic(topics.METRICS))
        points = PointPublisher(
            counters,
            rates,
            sink,
            gauges,
            clock,
            zone=zone,
            min_sample_size=settings.min_sample_size,
        )
        app.state.exchange_rates = ExchangeRateDesk(rates, points)
        claims = MongoClaims(runtime.db["exchange_rate_idempotency_keys"])
        posted = runtime.db[ExchangeRates.collection]
        app.state.idempotency = IdempotencyGuard(claims, kept_in(posted))
        app.state.idempotency_retention = timedelta(hours=settings.idempotency_key_retention_hours)
        app.state.kpi_queries = KpiQueries(
            counters, rates, min_sample_size=settings.min_sample_size
        )
        kpis = read_models(settings)[KPIS_CONSUMER]
        # Every batch writes counters that events of all partitions add to: one replica folds,
        # the others stand by (two folding at once collide on every shared counter).
        pipeline = kpi_pipeline(runtime.db, settings, points)
        runtime.consume_pipeline(kpis, pipeline, single_active=True)
        async with runtime.run(produced_topics=[topics.METRICS]):
            await points.refresh_gauges()
            refresh = points.refresh_gauges
            runtime.periodic("gauge refresh", GAUGE_REFRESH_SECONDS, refresh, wait_first=True)
            runtime.periodic(
                "idempotency keys",
                KEY_SWEEP_SECONDS,
                lambda: forget_expired(claims, posted, utc_now()),
            )
            yield

    app = runtime.app(
        title="Rapport metrics", lifespan=lifespan, routers=[http.router, reference.router]
    )
    app.state.clock, app.state.zone = clock, zone
    app.state.vocabularies = settings.segment_vocabularies
    app.state.chart_max_windows = settings.chart_max_windows
    idempotency_http.install(app)
    return app
