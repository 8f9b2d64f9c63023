"""The one place that wires the notifications service."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import Tracer
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.clock import Clock, utc_now
from rapport_kit.idempotency import http as idempotency_http
from rapport_kit.idempotency.store import IdempotencyGuard, MongoClaims, forget_expired, kept_in
from rapport_kit.mongo import Document
from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import OutboxPublisher, OutboxSweeper
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_notifications.adapters.campaigns import (
    CAMPAIGNS,
    CachedCampaigns,
    MongoAudiences,
    MongoCampaignOutcomes,
    MongoCampaigns,
)
from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.adapters.channels.configured import configured_channels
from rapport_notifications.adapters.channels.in_app import INBOX, MongoInbox
from rapport_notifications.adapters.deliveries import DELIVERIES, MongoDeliveries
from rapport_notifications.adapters.directory import MongoDirectory
from rapport_notifications.adapters.erasures import ERASURES, MongoErasureRequests
from rapport_notifications.adapters.footer_files import load_footers
from rapport_notifications.adapters.metrics import NotificationMetrics
from rapport_notifications.adapters.pressure import PRESSURE, MongoPressureBudgets
from rapport_notifications.adapters.webhook_deliveries import (
    WEBHOOK_DELIVERIES,
    MongoWebhookDeliveries,
)
from rapport_notifications.adapters.webhook_events import MongoWebhookEvents
from rapport_notifications.adapters.webhook_metrics import WebhookMetrics
from rapport_notifications.adapters.webhook_sender import HttpWebhookSender
from rapport_notifications.adapters.webhook_subscriptions import (
    WEBHOOK_SUBSCRIPTIONS,
    MongoWebhookSubscriptions,
)
from rapport_notifications.domain.footer import Unsubscribing
from rapport_notifications.entrypoints import (
    campaigns,
    customer_inbox_http,
    event_webhooks_http,
    http,
)
from rapport_notifications.entrypoints.consumer import TriggerConsumer
from rapport_notifications.entrypoints.event_webhooks_consumer import EventWebhookConsumer
from rapport_notifications.service_layer.backlog import Backlog
from rapport_notifications.service_layer.campaigns import CampaignDesk
from rapport_notifications.service_layer.customer_inbox import CustomerInbox
from rapport_notifications.service_layer.dispatcher import Dispatcher
from rapport_notifications.service_layer.erasure import Eraser
from rapport_notifications.service_layer.intake import Intake
from rapport_notifications.service_layer.outcomes import OutcomeRecorder
from rapport_notifications.service_layer.webhook_fanout import WebhookFanOut
from rapport_notifications.service_layer.webhook_relay import WebhookRelay
from rapport_notifications.service_layer.webhook_retention import WebhookRetention
from rapport_notifications.service_layer.webhook_subscriptions import WebhookAdmin
from rapport_notifications.service_layer.worker import Round, one_after_another
from rapport_notifications.settings import NotificationsSettings
from rapport_notifications.views.directory import DIRECTORY, DirectoryProjection
from rapport_notifications.views.nps import NPS_ANSWERS, NpsProjection
from rapport_schemas import topics

SERVICE = "notifications"
CONSUMER = "triggers"
EVENT_WEBHOOKS = "event-webhooks"
# The claims of Idempotency-Keys on POST /webhooks/subscriptions; expired ones are forgotten
# this often (their answers, kept in the subscription documents, first).
SUBSCRIPTION_KEYS = "webhook_subscription_idempotency_keys"
KEY_SWEEP_SECONDS = 600.0


def create_app(
    settings: NotificationsSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Clock = utc_now,
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    metrics = NotificationMetrics.register(runtime.registry)
    webhook_metrics = WebhookMetrics.register(runtime.registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = runtime.db
        publisher = OutboxPublisher(runtime.broker)
        deliveries = MongoDeliveries(db[DELIVERIES], publisher, settings)
        app.state.inbox = MongoInbox(db[INBOX])
        app.state.customer_inbox = CustomerInbox(
            app.state.inbox,
            settings.link_keys(),
            timedelta(days=settings.inbox_token_days),
            clock,
        )
        wake = asyncio.Event()
        directory = ProjectionConsumer(
            SeenEvents(db, CONSUMER),
            [ProjectionStore(db, DirectoryProjection()), ProjectionStore(db, NpsProjection())],
        )
        erasures = MongoErasureRequests(db[ERASURES])
        intake = Intake(deliveries, erasures, wake, clock)
        consumer = TriggerConsumer(directory, intake)
        app.state.campaigns = _campaign_desk(db, deliveries, clock, wake)
        # The directory's name, e-mail and phone are on the contacts' personal topic (v2).
        triggers = [topics.CONTACTS, topics.FEEDBACK, topics.CONTACTS_PERSONAL]
        runtime.consume(CONSUMER, consumer, base_topics=triggers)
        # One instance: the wake-ups its writes note (fan-out, replays) are the relay's.
        webhook_deliveries = MongoWebhookDeliveries(db[WEBHOOK_DELIVERIES])
        app.state.webhook_admin, webhooks_wake = _event_webhooks(
            runtime, settings, clock, webhook_deliveries
        )
        claims, subscriptions = MongoClaims(db[SUBSCRIPTION_KEYS]), db[WEBHOOK_SUBSCRIPTIONS]
        app.state.idempotency = IdempotencyGuard(claims, kept_in(subscriptions))
        app.state.idempotency_retention = timedelta(hours=settings.idempotency_key_retention_hours)
        async with (
            httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client,
            httpx.AsyncClient(timeout=settings.event_webhooks_timeout_seconds) as webhook_client,
            runtime.run(produced_topics=[topics.NOTIFICATIONS]),
        ):
            await _start_event_webhooks(
                runtime,
                settings,
                webhook_deliveries,
                sender=HttpWebhookSender(webhook_client),
                metrics=webhook_metrics,
                clock=clock,
                wake=webhooks_wake,
            )
            await deliveries.ensure_indexes()
            await db[INBOX].create_index("contact_id")
            await MongoCampaigns(db[CAMPAIGNS]).ensure_indexes()
            await MongoCampaignOutcomes(db[DELIVERIES]).ensure_indexes()
            stop = runtime.stopping
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
                launch_campaigns=app.state.campaigns.launch_due,
            )
            # At shutdown the delivery under way may be recorded for up to the grace period
            # (past it, it is cancelled and a cut-short send ends as outcome_unknown).
            runtime.periodic(
                "delivery worker",
                settings.dispatch_interval_seconds,
                one_after_another(rounds, stop=stop),
                wake=wake,
                grace=settings.shutdown_grace_seconds,
            )
            runtime.periodic(
                "idempotency keys",
                KEY_SWEEP_SECONDS,
                lambda: forget_expired(claims, subscriptions, utc_now()),
            )
            yield

    routers = [
        http.router,
        customer_inbox_http.router,
        event_webhooks_http.router,
        campaigns.router,
    ]
    app = runtime.app(title="Rapport notifications", lifespan=lifespan, routers=routers)
    idempotency_http.install(app)
    return app


def _event_webhooks(
    runtime: ServiceRuntime,
    settings: NotificationsSettings,
    clock: Clock,
    deliveries: MongoWebhookDeliveries,
) -> tuple[WebhookAdmin, asyncio.Event]:
    """The event webhooks' consumer (its own group, every event topic) and admin use cases."""
    db, wake = runtime.db, asyncio.Event()
    subscriptions = MongoWebhookSubscriptions(db[WEBHOOK_SUBSCRIPTIONS])
    fan_out = WebhookFanOut(subscriptions, MongoWebhookEvents(db), deliveries, clock, wake)
    # The event topics only: the personal topics' records (and tombstones) are never forwarded.
    event_topics = [topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS]
    runtime.consume(EVENT_WEBHOOKS, EventWebhookConsumer(fan_out), base_topics=event_topics)
    allow_http = settings.event_webhooks_allow_plain_http()
    overlap = settings.event_webhook_secret_overlap()
    return WebhookAdmin(subscriptions, deliveries, clock, allow_http, overlap), wake


async def _start_event_webhooks(
    runtime: ServiceRuntime,
    settings: NotificationsSettings,
    deliveries: MongoWebhookDeliveries,
    *,
    sender: HttpWebhookSender,
    metrics: WebhookMetrics,
    clock: Clock,
    wake: asyncio.Event,
) -> None:
    """Indexes, then the sender's periodic round (woken when new deliveries are stored)."""
    db = runtime.db
    events = MongoWebhookEvents(db)
    await events.ensure_indexes()
    await deliveries.ensure_indexes()
    relay = WebhookRelay(
        subscriptions=MongoWebhookSubscriptions(db[WEBHOOK_SUBSCRIPTIONS]),
        events=events,
        deliveries=deliveries,
        sender=sender,
        counters=metrics,
        policy=settings.event_webhook_policy(),
        clock=clock,
        tracer=runtime.tracer_provider.get_tracer("rapport.notifications"),
    )
    interval = settings.event_webhooks_interval_seconds
    grace = settings.shutdown_grace_seconds
    runtime.periodic("event webhooks", interval, relay.deliver_due, wake=wake, grace=grace)
    retention = WebhookRetention(events, deliveries, settings.event_webhook_retention(), clock)
    prune_every = settings.event_webhooks_prune_interval_seconds
    runtime.periodic("event webhook retention", prune_every, retention.prune)


def _campaign_desk(
    db: AsyncDatabase[Document], deliveries: MongoDeliveries, clock: Clock, wake: asyncio.Event
) -> CampaignDesk:
    return CampaignDesk(
        campaigns=MongoCampaigns(db[CAMPAIGNS]),
        audiences=MongoAudiences(db[DIRECTORY], db[NPS_ANSWERS]),
        deliveries=deliveries,
        outcomes=MongoCampaignOutcomes(db[DELIVERIES]),
        clock=clock,
        wake=wake,
    )


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
    launch_campaigns: Round,
) -> list[Round]:
    """Erasures first, then the outbox sweep, then deliveries: one writer (see worker.py)."""
    channels = configured_channels(settings, client, db[INBOX], clock)
    dispatcher = Dispatcher(
        deliveries=deliveries,
        directory=MongoDirectory(db[DIRECTORY]),
        channels=channels,
        catalogs=load_catalogs(),
        policy=settings.delivery_policy(frozenset(channels)),
        composition=settings.composition,
        retries=settings.retries(),
        default_locale=settings.default_locale,
        clock=clock,
        record=OutcomeRecorder(deliveries, metrics),
        unsubscribing=Unsubscribing(
            settings.customer_links(), load_footers(), settings.default_locale
        ),
        pressure=MongoPressureBudgets(db[PRESSURE], settings.pressure_budget()),
        campaigns=CachedCampaigns(MongoCampaigns(db[CAMPAIGNS])),
        concurrency=settings.dispatch_concurrency,
        page=settings.dispatch_page,
        tracer=tracer,
    )
    requests = MongoErasureRequests(db[ERASURES])
    eraser = Eraser(requests, deliveries, deliveries, MongoInbox(db[INBOX]), clock)
    sweeper = OutboxSweeper([deliveries], gauges=outbox_gauges)
    return [
        eraser.erase_requested,
        sweeper.sweep,
        launch_campaigns,
        functools.partial(dispatcher.dispatch_due, stop),
        Backlog(deliveries, metrics).measure,
    ]
