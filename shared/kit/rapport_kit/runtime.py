"""The resources one service process holds, built and torn down inside its lifespan."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from fastapi import APIRouter
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.admin import ensure_topics
from rapport_kit.broker import build_broker
from rapport_kit.consuming import ApplyBatch, BatchConsumer
from rapport_kit.http import ReadinessCheck
from rapport_kit.liveness import liveness_router
from rapport_kit.logs import configure_logging
from rapport_kit.mongo import Document, build_mongo_client
from rapport_kit.observability import ConsumerMetrics, OutboxGauges
from rapport_kit.projection_store import (
    ProjectionConsumer,
    ProjectionStore,
    SeenEvents,
    forget_old_sightings,
)
from rapport_kit.rebuild import ReadModel
from rapport_kit.settings import ServiceSettings
from rapport_kit.stalls import StallMonitor, WatchedConsumer
from rapport_kit.subscription import dead_letter_publisher, subscribe
from rapport_kit.telemetry import build_tracer_provider, instrument_mongodb
from rapport_schemas import topics


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
    # The dict ``operations_router`` reads on every /readyz; ``consume`` adds each consumer's check.
    _readiness: dict[str, ReadinessCheck] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        service: str,
        span_processors: tuple[SpanProcessor, ...] = (),
    ) -> ServiceRuntime:
        configure_logging(service, settings.log_level)
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

    def consume(self, name: str, apply: ApplyBatch, *, base_topics: Sequence[str]) -> None:
        """Subscribe ``apply`` in this service's consumer group; call before ``run``."""
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
        assigned = subscribe(
            self.broker,
            consumer,
            settings=self.settings,
            group_id=group_id,
            topic_names=names,
            metrics=self.consumer_metrics,
        )
        self.stalls.watch(WatchedConsumer(name, group_id, assigned))
        self.readiness_checks()[f"consumer {name}"] = self.stalls.check(name)

    def consume_read_model(self, model: ReadModel) -> None:
        """Fold ``model``'s topics into its projections (the same definition ``rebuild`` uses)."""
        stores = [ProjectionStore(self.db, projection) for projection in model.projections]
        duplicates = self.consumer_metrics.duplicates.labels(model.consumer)
        apply = ProjectionConsumer(SeenEvents(self.db, model.consumer), stores, duplicates.inc)
        self.consume(model.consumer, apply, base_topics=model.topics)

    @asynccontextmanager
    async def run(self, *, produced_topics: Sequence[str] = ()) -> AsyncIterator[None]:
        own = [self.settings.topic(topics.dead_letter_topic(self.service))]
        own += [self.settings.topic(base) for base in produced_topics]
        compacted = frozenset({self.settings.topic(topics.METRICS)})
        await ensure_topics(
            self.settings, sorted(set(own + self.consumed_topics)), compacted=compacted
        )
        await self.broker.start()
        retention = timedelta(hours=self.settings.seen_retention_hours)
        pruning = asyncio.create_task(
            forget_old_sightings(self.db, self.consumers, retention=retention)
        )
        measuring = asyncio.create_task(self.stalls.run())
        try:
            yield
        finally:
            measuring.cancel()
            pruning.cancel()
            await asyncio.gather(measuring, return_exceptions=True)
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
