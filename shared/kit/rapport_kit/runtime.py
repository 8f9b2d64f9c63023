"""The resources one service process holds, built and torn down inside its lifespan: the app
shell every service shares (``ServiceRuntime.app``) and its background work (``background.py``)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit import http_guards, openapi
from rapport_kit.admin import ensure_topics
from rapport_kit.background import Background, Step
from rapport_kit.broker import build_broker
from rapport_kit.consuming import ApplyBatch, BatchConsumer
from rapport_kit.docs import serve_docs
from rapport_kit.event_contracts import service_document
from rapport_kit.http import ERROR_RESPONSES, ReadinessCheck, instrument_requests, operations_router
from rapport_kit.liveness import liveness_router
from rapport_kit.logs import configure_logging
from rapport_kit.mongo import Document, build_mongo_client
from rapport_kit.observability import ConsumerMetrics, OutboxGauges
from rapport_kit.projection_store import (
    SIGHTINGS_PRUNE_SECONDS,
    ProjectionConsumer,
    ProjectionStore,
    SeenEvents,
    forget_old_sightings,
)
from rapport_kit.rebuild import PipelineReadModel, ReadModel, interrupted_switch
from rapport_kit.settings import ServiceSettings
from rapport_kit.stalls import StallMonitor, WatchedConsumer
from rapport_kit.subscription import dead_letter_publisher, subscribe
from rapport_kit.telemetry import build_tracer_provider, instrument_mongodb
from rapport_schemas import topics
from rapport_schemas.asyncapi import ConsumerGroup
from rapport_schemas.envelope import use_schema_base_url

log = logging.getLogger(__name__)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class SwitchInProgress(RuntimeError):
    """A read model is between its old and its rebuilt collections."""


@dataclass
class ServiceRuntime:
    """Broker, MongoDB, telemetry and metrics of one service; nothing connects before ``run``."""

    settings: ServiceSettings
    service: str
    tracer_provider: TracerProvider
    registry: CollectorRegistry
    broker: KafkaBroker
    mongo: AsyncMongoClient[Document]
    consumer_metrics: ConsumerMetrics
    stalls: StallMonitor
    consumed_topics: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)
    # What /asyncapi.json documents: filled by ``consume`` and ``run``.
    consumer_groups: list[ConsumerGroup] = field(default_factory=list)
    produced_topics: list[str] = field(default_factory=list)
    # The dict ``operations_router`` reads on every /readyz; ``consume`` adds each consumer's check.
    _readiness: dict[str, ReadinessCheck] = field(default_factory=dict)
    # Set when teardown begins: every ``periodic`` task stops at its next wait or step boundary.
    background: Background = field(default_factory=Background)

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        service: str,
        span_processors: tuple[SpanProcessor, ...] = (),
    ) -> ServiceRuntime:
        configure_logging(service, settings.log_level)
        use_schema_base_url(settings.schema_base_url)
        registry = CollectorRegistry()
        consumer_metrics = ConsumerMetrics.register(registry)
        tracer_provider = build_tracer_provider(service, extra_processors=span_processors)
        instrument_mongodb(tracer_provider)
        return cls(
            settings=settings,
            service=service,
            tracer_provider=tracer_provider,
            registry=registry,
            broker=build_broker(
                settings, service=service, tracer_provider=tracer_provider, registry=registry
            ),
            mongo=build_mongo_client(settings, service=service),
            consumer_metrics=consumer_metrics,
            stalls=StallMonitor(settings, consumer_metrics),
        )

    @functools.cached_property
    def outbox_gauges(self) -> OutboxGauges:
        """The outbox backlog gauges, registered once for a service that has an outbox."""
        return OutboxGauges(self.registry, service=self.service)

    @property
    def db(self) -> AsyncDatabase[Document]:
        return self.mongo[self.settings.mongo_database]

    def consume(
        self,
        name: str,
        apply: ApplyBatch,
        *,
        base_topics: Sequence[str],
        single_active: bool = False,
    ) -> None:
        """Subscribe ``apply`` in this service's consumer group; call before ``run``.
        ``single_active``: one replica takes every partition, the others stand by (for a consumer
        whose batches all write the same aggregates, ``rapport_kit.assignment``)."""
        names = [self.settings.topic(base) for base in base_topics]
        self.consumed_topics.extend(names)
        self.consumers.append(name)
        consumer = BatchConsumer(
            name=name,
            apply=apply,
            publish_dead_letters=dead_letter_publisher(
                self.broker, settings=self.settings, service=self.service
            ),
            metrics=self.consumer_metrics,
            tracer=self.tracer_provider.get_tracer(f"rapport.{self.service}"),
        )
        group_id = f"{self.settings.topic_prefix}rapport-{self.service}-{name}"
        self.consumer_groups.append(ConsumerGroup(group_id, tuple(base_topics)))
        assigned = subscribe(
            self.broker,
            consumer,
            settings=self.settings,
            group_id=group_id,
            topic_names=names,
            metrics=self.consumer_metrics,
            single_active=single_active,
        )
        self.stalls.watch(WatchedConsumer(name, group_id, assigned))
        self.readiness_checks()[f"consumer {name}"] = self.stalls.check(name)

    def consume_read_model(self, model: ReadModel) -> None:
        """Fold ``model``'s topics into its projections (the same definition ``rebuild`` uses)."""
        stores = [ProjectionStore(self.db, projection) for projection in model.projections]
        duplicates = self.consumer_metrics.duplicates.labels(model.consumer)
        apply = ProjectionConsumer(SeenEvents(self.db, model.consumer), stores, duplicates.inc)
        self.consume(model.consumer, apply, base_topics=model.topics)
        self.readiness_checks()[f"read model {model.consumer}"] = self._not_switching(model)

    def consume_pipeline(
        self, model: PipelineReadModel, apply: ApplyBatch, *, single_active: bool = False
    ) -> None:
        """Fold ``model``'s topics with the service's own batch step ``apply`` (built as
        ``model.pipeline`` builds it for ``rebuild``, over the live collections)."""
        self.consume(model.consumer, apply, base_topics=model.topics, single_active=single_active)
        self.readiness_checks()[f"read model {model.consumer}"] = self._not_switching(model)

    def _not_switching(self, model: ReadModel | PipelineReadModel) -> ReadinessCheck:
        """Unready while a rebuild's switch of ``model`` is journaled but not complete: readers
        would see some collections switched and others not (MongoDB renames one at a time)."""

        async def check() -> None:
            tag = await interrupted_switch(self.db, model.consumer)
            if tag is not None:
                raise SwitchInProgress(f"rebuild {tag} is switching; rerun rebuild --switch")

        return check

    def app(
        self,
        *,
        title: str,
        lifespan: Lifespan,
        routers: Sequence[APIRouter] = (),
        version: str = "0.1.0",
    ) -> FastAPI:
        """The service's FastAPI app: health, readiness and liveness, /metrics, offline docs,
        request guards and telemetry, then ``routers``."""
        app = FastAPI(
            title=title,
            version=version,
            lifespan=lifespan,
            responses=ERROR_RESPONSES,
            docs_url=None,
            redoc_url=None,  # served offline by serve_docs
            generate_unique_id_function=openapi.operation_id,
        )
        openapi.install(app, description=f"The HTTP API of {title}.")
        app.state.api_keys = self.settings.api_keys
        app.state.runtime = self
        app.include_router(operations_router(self.registry, self.readiness_checks()))
        app.include_router(self.liveness_router())
        serve_docs(
            app, events=self.asyncapi_document, schema_base_url=self.settings.schema_base_url
        )
        http_guards.install(app, self.settings)
        instrument_requests(app, self.registry)
        for router in routers:
            app.include_router(router)
        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.tracer_provider)
        return app

    def periodic(
        self,
        name: str,
        interval: float,
        step: Step,
        *,
        wake: asyncio.Event | None = None,
        wait_first: bool = False,
        grace: float = 0.0,
    ) -> None:
        """Start ``step`` as background work of this run (``background.periodic``); only inside
        ``run``. At teardown a step under way may finish for up to ``grace`` seconds
        (``stopping`` is set first, so it can wind down), then it is cancelled."""
        self.background.start(name, interval, step, wake=wake, wait_first=wait_first, grace=grace)

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the run ends: long steps check it to wind down."""
        return self.background.stopping

    def asyncapi_document(self) -> dict[str, Any]:
        """This service's topics, groups and brokers (complete once ``run`` has begun)."""
        return service_document(
            self.settings,
            service=self.service,
            produced_topics=self.produced_topics,
            groups=self.consumer_groups,
        )

    @asynccontextmanager
    async def run(
        self,
        *,
        produced_topics: Sequence[str] = (),
        topic_configs: Mapping[str, Mapping[str, str]] | None = None,
    ) -> AsyncIterator[None]:
        """Topics ensured, broker started, background work begun; torn down on exit.

        ``topic_configs`` (base topic name → configs): the configs this service keeps on topics
        it owns, e.g. ``{topics.CONTACTS_PERSONAL: personal_topic_configs(hours)}``; created with
        them and altered to them on every start. Any other topic is only created if missing
        (the metric stream and the personal topics compacted)."""
        self.produced_topics[:] = produced_topics
        own = [self.settings.topic(topics.dead_letter_topic(self.service))]
        own += [self.settings.topic(base) for base in produced_topics]
        compacted = frozenset(self.settings.topic(t) for t in (topics.METRICS, *topics.PERSONAL))
        configs = {self.settings.topic(t): c for t, c in (topic_configs or {}).items()}
        await ensure_topics(
            self.settings,
            sorted(set(own + self.consumed_topics)),
            compacted=compacted,
            configs=configs,
        )
        await self.broker.start()
        self.background.begin()
        retention = timedelta(hours=self.settings.seen_retention_hours)
        self.periodic(
            "pruning seen events",
            SIGHTINGS_PRUNE_SECONDS,
            functools.partial(forget_old_sightings, self.db, self.consumers, retention=retention),
        )
        if self.stalls.watched:
            interval = self.settings.consumer_stall_check_seconds
            self.periodic("measuring consumer lag", interval, self.stalls.measure_once)
        try:
            yield
        finally:
            await self.background.stop()
            await self.stalls.close()
            await self.broker.stop()
            await self.mongo.close()
            self.tracer_provider.shutdown()

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        """Kafka, MongoDB and (once registered) every consumer making progress."""
        if not self._readiness:
            self._readiness.update(self._dependency_checks())
        return self._readiness

    def liveness_router(self) -> APIRouter:
        """``/livez``: fails only when this process's consumers are stuck and a restart can help."""
        restart_after = self.settings.consumer_stall_restart_seconds
        return liveness_router(
            self.stalls.stuck_for, self._dependency_checks(), restart_after=restart_after
        )

    def _dependency_checks(self) -> dict[str, ReadinessCheck]:
        async def kafka() -> None:
            if not await self.broker.ping(timeout=2.0):
                raise ConnectionError("kafka")

        async def mongodb() -> None:
            await self.mongo.admin.command("ping")

        return {"kafka": kafka, "mongodb": mongodb}
