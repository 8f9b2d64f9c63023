"""The one place that wires the metrics service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor

from rapport_kit.http import operations_router
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_metrics.domain.volume import InteractionVolume
from rapport_metrics.entrypoints import http
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import topics

SERVICE = "metrics"


def create_app(
    settings: MetricsSettings, *, span_processors: tuple[SpanProcessor, ...] = ()
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = runtime.db
        consumer = ProjectionConsumer(
            SeenEvents(db, "kpis"), [ProjectionStore(db, InteractionVolume())]
        )
        runtime.consume("kpis", consumer, base_topics=[topics.CONTACTS])
        async with runtime.run(produced_topics=[topics.METRICS]):
            yield

    app = FastAPI(title="Rapport metrics", version="0.1.0", lifespan=lifespan)
    app.state.api_keys = settings.api_keys
    app.state.runtime = runtime
    app.include_router(operations_router(runtime.registry, runtime.readiness_checks()))
    app.include_router(http.router)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.tracer_provider)
    return app
