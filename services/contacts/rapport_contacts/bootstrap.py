"""The one place that wires the contacts service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor

from rapport_contacts.adapters.repository import MongoContactRepository
from rapport_contacts.entrypoints import http
from rapport_contacts.settings import ContactsSettings
from rapport_kit.http import operations_router
from rapport_kit.outbox import OutboxPublisher, OutboxSweeper
from rapport_kit.runtime import ServiceRuntime
from rapport_schemas import topics

SERVICE = "contacts"


def create_app(
    settings: ContactsSettings, *, span_processors: tuple[SpanProcessor, ...] = ()
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = OutboxPublisher(runtime.broker)
        contacts = runtime.db["contacts"]
        app.state.contacts = MongoContactRepository(contacts, publisher, settings)
        async with runtime.run(produced_topics=[topics.CONTACTS]):
            sweeper = asyncio.create_task(OutboxSweeper(publisher, [contacts]).run())
            yield
            sweeper.cancel()

    app = FastAPI(title="Rapport contacts", version="0.1.0", lifespan=lifespan)
    app.state.api_keys = settings.api_keys
    app.state.runtime = runtime
    app.include_router(operations_router(runtime.registry, runtime.readiness_checks()))
    app.include_router(http.router)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.tracer_provider)
    return app
