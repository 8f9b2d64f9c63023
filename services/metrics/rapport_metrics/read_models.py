"""The read model this service folds from the event log (bootstrap and `rapport-ops rebuild`).

The KPI pipeline is several stores in order with counter collections named at runtime, so it is a
``PipelineReadModel``: built over collections with a suffix (a rebuild's fresh set folds silently),
switched with every ``kpi_`` collection, then every family republished (an unchanged point keeps
its event id). ``exchange_rates`` is configuration, read live and never rebuilt.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from opentelemetry.trace import NoOpTracerProvider
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.broker import build_broker
from rapport_kit.clock import Clock, utc_now
from rapport_kit.consuming import ApplyBatch
from rapport_kit.mongo import Document
from rapport_kit.projection_store import SeenEvents
from rapport_kit.rebuild import PipelineReadModel, seen_collection
from rapport_metrics.adapters.collections import COUNTERS_PREFIX
from rapport_metrics.adapters.exchange_rates import ExchangeRates
from rapport_metrics.adapters.gauges import KpiGauges
from rapport_metrics.adapters.kpi_store import MongoCounterSeries, MongoReadModels
from rapport_metrics.adapters.metric_stream import KafkaMetricSink, SilentMetricSink
from rapport_metrics.domain.kpis import FAMILIES
from rapport_metrics.entrypoints.consumer import KPI_TOPICS, KPIS_CONSUMER, kpi_batches
from rapport_metrics.service_layer.pipeline import KpiPipeline
from rapport_metrics.service_layer.ports import KpiObserver, MetricSink
from rapport_metrics.service_layer.publishing import PointPublisher
from rapport_metrics.settings import MetricsSettings
from rapport_metrics.views.customers import CUSTOMERS
from rapport_metrics.views.directory import DIRECTORY
from rapport_metrics.views.responses import AWAITING
from rapport_metrics.views.surveys import SURVEYS
from rapport_metrics.views.tallies import TALLIES
from rapport_schemas import topics

SERVICE = "metrics"


def kpi_pipeline(
    db: AsyncDatabase[Document],
    settings: MetricsSettings,
    points: PointPublisher,
    *,
    suffix: str = "",
) -> ApplyBatch:
    """The ``kpis`` consumer's batch step over the read models named with ``suffix``."""
    pipeline = KpiPipeline(
        MongoReadModels(db, suffix=suffix),
        points,
        zone=ZoneInfo(settings.reporting_time_zone),
        activity=frozenset(settings.activity),
        vocabularies=settings.segment_vocabularies,
    )
    return kpi_batches(SeenEvents(db, KPIS_CONSUMER + suffix), pipeline)


def point_publisher(
    db: AsyncDatabase[Document],
    settings: MetricsSettings,
    sink: MetricSink,
    gauges: KpiObserver,
    *,
    clock: Clock = utc_now,
    suffix: str = "",
) -> PointPublisher:
    """Points from the counters named with ``suffix``, valued with the live exchange rates."""
    return PointPublisher(
        MongoCounterSeries(db, suffix=suffix),
        ExchangeRates(db, settings.rate_table()),
        sink,
        gauges,
        clock,
        zone=ZoneInfo(settings.reporting_time_zone),
        min_sample_size=settings.min_sample_size,
    )


def read_models(settings: MetricsSettings) -> dict[str, PipelineReadModel]:
    @contextlib.asynccontextmanager
    async def metric_sink() -> AsyncIterator[MetricSink]:
        broker = build_broker(
            settings,
            service=f"{SERVICE}-rebuild",
            tracer_provider=NoOpTracerProvider(),
            registry=CollectorRegistry(),
        )
        await broker.connect()
        try:
            yield KafkaMetricSink(broker, settings.topic(topics.METRICS))
        finally:
            await broker.stop()

    @contextlib.asynccontextmanager
    async def pipeline(db: AsyncDatabase[Document], suffix: str) -> AsyncIterator[ApplyBatch]:
        gauges = KpiGauges(CollectorRegistry())  # the service's own gauges are the service's
        if suffix:
            points = point_publisher(db, settings, SilentMetricSink(), gauges, suffix=suffix)
            yield kpi_pipeline(db, settings, points, suffix=suffix)
            return
        async with metric_sink() as sink:
            points = point_publisher(db, settings, sink, gauges)
            yield kpi_pipeline(db, settings, points)

    async def republish(db: AsyncDatabase[Document]) -> None:
        async with metric_sink() as sink:
            points = point_publisher(db, settings, sink, KpiGauges(CollectorRegistry()))
            for family in FAMILIES:
                await points.republish_family(family, with_counts_only=True)

    kpis = PipelineReadModel(
        KPIS_CONSUMER,
        KPI_TOPICS,
        pipeline,
        collections=(
            DIRECTORY,
            CUSTOMERS,
            AWAITING,
            SURVEYS,
            TALLIES,
            seen_collection(KPIS_CONSUMER),
        ),
        prefixes=(COUNTERS_PREFIX,),
        after_switch=republish,
    )
    return {KPIS_CONSUMER: kpis}


def from_environment() -> tuple[MetricsSettings, dict[str, PipelineReadModel]]:
    settings = MetricsSettings()
    return settings, read_models(settings)
