"""The one place that wires the notifications service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor

from rapport_kit.http import operations_router
from rapport_kit.runtime import ServiceRuntime
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import topics

SERVICE = "notifications"


def create_app(
    settings: NotificationsSettings, *, span_processors: tuple[SpanProcessor, ...] = ()
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.run(produced_topics=[topics.NOTIFICATIONS]):
            yield

    app = FastAPI(title="Rapport notifications", version="0.1.0", lifespan=lifespan)
    app.state.api_keys = settings.api_keys
    app.state.runtime = runtime
    app.include_router(operations_router(runtime.registry, runtime.readiness_checks()))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.tracer_provider)
    return app
