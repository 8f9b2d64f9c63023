"""The one place that wires the notifications service."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Tracer
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit import http_guards
from rapport_kit.clock import utc_now
from rapport_kit.docs import serve_docs
from rapport_kit.http import ERROR_RESPONSES, instrument_requests, operations_router
from rapport_kit.mongo import Document
from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import OutboxPublisher, OutboxSweeper
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.signed_links import SURVEY_ANSWER, LinkClaims, sign_link
from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.adapters.channels.base import DeliveryChannel
from rapport_notifications.adapters.channels.email import SmtpChannel
from rapport_notifications.adapters.channels.in_app import INBOX, InAppChannel, MongoInbox
from rapport_notifications.adapters.channels.webhook import WebhookChannel
from rapport_notifications.adapters.deliveries import DELIVERIES, MongoDeliveries
from rapport_notifications.adapters.directory import DIRECTORY, DirectoryProjection, MongoDirectory
from rapport_notifications.adapters.erasures import ERASURES, MongoErasureRequests
from rapport_notifications.adapters.metrics import NotificationMetrics
from rapport_notifications.domain.compose import CompositionContext
from rapport_notifications.domain.decision import DeliveryPolicy
from rapport_notifications.domain.quiet_hours import DeliveryWindow
from rapport_notifications.entrypoints import http
from rapport_notifications.service_layer.dispatcher import Clock, Dispatcher, Retries
from rapport_notifications.service_layer.erasure import Eraser
from rapport_notifications.service_layer.intake import Intake
from rapport_notifications.service_layer.outcomes import OutcomeRecorder
from rapport_notifications.service_layer.worker import Round, work_until_stopped
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import topics
from rapport_schemas.common import Channel

SERVICE = "notifications"
CONSUMER = "triggers"


def create_app(
    settings: NotificationsSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Clock = utc_now,
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    metrics = NotificationMetrics.register(runtime.registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = runtime.db
        publisher = OutboxPublisher(runtime.broker)
        deliveries = MongoDeliveries(db[DELIVERIES], publisher, settings)
        app.state.inbox = MongoInbox(db[INBOX])
        wake = asyncio.Event()
        directory = ProjectionConsumer(
            SeenEvents(db, CONSUMER), [ProjectionStore(db, DirectoryProjection())]
        )
        erasures = MongoErasureRequests(db[ERASURES])
        intake = Intake(directory, deliveries, erasures, wake, clock)
        runtime.consume(CONSUMER, intake, base_topics=[topics.CONTACTS, topics.FEEDBACK])
        async with (
            httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client,
            runtime.run(produced_topics=[topics.NOTIFICATIONS]),
        ):
            await deliveries.ensure_indexes()
            await db[INBOX].create_index("contact_id")
            stop = asyncio.Event()
            tracer = runtime.tracer_provider.get_tracer("rapport.notifications")
            rounds = _worker_rounds(
                settings,
                db,
                deliveries,
                client=client,
                clock=clock,
                metrics=metrics,
                outbox_gauges=runtime.outbox_gauges,
                stop=stop,
                tracer=tracer,
            )
            interval = settings.dispatch_interval_seconds
            worker = asyncio.create_task(
                work_until_stopped(rounds, wake=wake, stop=stop, interval=interval)
            )
            yield
            stop.set()
            wake.set()
            await _finish(worker, settings.shutdown_grace_seconds)

    app = FastAPI(
        title="Rapport notifications",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,  # served offline by serve_docs
    )
    app.state.api_keys = settings.api_keys
    app.state.runtime = runtime
    app.include_router(operations_router(runtime.registry, runtime.readiness_checks()))
    app.include_router(runtime.liveness_router())
    serve_docs(app)
    http_guards.install(app, settings)
    instrument_requests(app, runtime.registry)
    app.include_router(http.router)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=runtime.tracer_provider)
    return app


def _worker_rounds(
    settings: NotificationsSettings,
    db: AsyncDatabase[Document],
    deliveries: MongoDeliveries,
    *,
    client: httpx.AsyncClient,
    clock: Clock,
    metrics: NotificationMetrics,
    outbox_gauges: OutboxGauges,
    stop: asyncio.Event,
    tracer: Tracer,
) -> list[Round]:
    """Erasures first, then the outbox sweep, then deliveries: one writer (see worker.py)."""
    dispatcher = _dispatcher(
        settings,
        deliveries=deliveries,
        directory=MongoDirectory(db[DIRECTORY]),
        channels=_channels(settings, client, db[INBOX]),
        clock=clock,
        metrics=metrics,
        tracer=tracer,
    )
    eraser = Eraser(MongoErasureRequests(db[ERASURES]), deliveries, MongoInbox(db[INBOX]), clock)
    sweeper = OutboxSweeper(
        deliveries.publisher, [db[DELIVERIES]], gauges=outbox_gauges, clock=clock
    )

    async def measure_backlog() -> None:
        metrics.backlog.set(await deliveries.scheduled_count())

    return [
        eraser.erase_requested,
        sweeper.sweep_once,
        functools.partial(dispatcher.dispatch_due, stop),
        measure_backlog,
    ]


async def _finish(task: asyncio.Task[None], grace: float) -> None:
    """Let the delivery under way be recorded (a cut-short send ends as outcome_unknown)."""
    with contextlib.suppress(TimeoutError):  # past the grace, wait_for cancels it
        await asyncio.wait_for(task, grace)


def _channels(
    settings: NotificationsSettings,
    client: httpx.AsyncClient,
    inbox: AsyncCollection[Document],
) -> dict[Channel, DeliveryChannel]:
    channels: dict[Channel, DeliveryChannel] = {
        Channel.EMAIL: SmtpChannel(settings),
        Channel.IN_APP: InAppChannel(inbox),
    }
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value()
        channels[Channel.SMS] = WebhookChannel(client, url=settings.webhook_url, secret=secret)
    return channels


def _dispatcher(
    settings: NotificationsSettings,
    *,
    deliveries: MongoDeliveries,
    directory: MongoDirectory,
    channels: dict[Channel, DeliveryChannel],
    clock: Clock,
    metrics: NotificationMetrics,
    tracer: Tracer,
) -> Dispatcher:
    return Dispatcher(
        deliveries=deliveries,
        directory=directory,
        channels=channels,
        catalogs=load_catalogs(),
        policy=_policy(settings, frozenset(channels)),
        composition=lambda now: _composition(settings, now),
        caps=settings.frequency_caps,
        retries=Retries(
            max_attempts=settings.delivery_max_attempts,
            first_delay=timedelta(seconds=settings.retry_first_delay_seconds),
            max_delay=timedelta(seconds=settings.retry_max_delay_seconds),
            lease=timedelta(seconds=settings.lease_seconds),
        ),
        default_locale=settings.default_locale,
        clock=clock,
        record=OutcomeRecorder(deliveries, metrics),
        concurrency=settings.dispatch_concurrency,
        page=settings.dispatch_page,
        tracer=tracer,
    )


def _policy(settings: NotificationsSettings, channels: frozenset[Channel]) -> DeliveryPolicy:
    return DeliveryPolicy(
        window=DeliveryWindow(
            quiet_start=settings.quiet_hours_start,
            quiet_end=settings.quiet_hours_end,
            avoid_weekends=settings.quiet_on_weekends,
            avoid_public_holidays=settings.quiet_on_public_holidays,
        ),
        channel_order=settings.channel_fallback_order,
        available_channels=channels,
        internal_locale=settings.internal_locale,
        internal_time_zone=settings.internal_time_zone,
        team_email=settings.team_email,
        agent_emails=settings.agent_emails,
        unknown_contact_grace=timedelta(seconds=settings.unknown_contact_grace_seconds),
        unknown_contact_retry=timedelta(seconds=settings.unknown_contact_retry_seconds),
    )


def _composition(settings: NotificationsSettings, now: datetime) -> CompositionContext:
    return CompositionContext(
        now=now,
        brand=settings.brand_name,
        answer_base_url=settings.answer_base_url,
        sign_survey_link=functools.partial(_sign_survey_link, settings.link_keys()[0]),
        business_day_end=settings.business_day_end,
        complaint_reply_business_days=settings.complaint_reply_business_days,
        detractor_follow_up_business_days=settings.detractor_follow_up_business_days,
    )


def _sign_survey_link(key: bytes, survey_id: str, expires_at: datetime) -> str:
    return sign_link(LinkClaims(SURVEY_ANSWER, survey_id, expires_at), key)
