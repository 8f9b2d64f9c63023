"""The one place that wires the contacts service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor

from rapport_contacts.adapters.keys import MongoKeyStore
from rapport_contacts.adapters.metrics import SlaMetrics
from rapport_contacts.adapters.personal_topic import KafkaPersonalTopic
from rapport_contacts.adapters.repository import MongoContactRepository
from rapport_contacts.adapters.views import ContactViews
from rapport_contacts.domain import vocabularies
from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.entrypoints import activity, errors, export, http, preference_center
from rapport_contacts.read_models import RECORDS_CONSUMER, VIEW_CONSUMER, read_models
from rapport_contacts.service_layer.erasure import ErasureCompletion, SegmentRolls
from rapport_contacts.service_layer.preference_center import PreferenceCenter
from rapport_contacts.service_layer.sla import SlaScheduler
from rapport_contacts.service_layer.unit import Ports
from rapport_contacts.settings import ContactsSettings
from rapport_contacts.views.personal_record import ContactRecord
from rapport_kit.admin import personal_topic_configs
from rapport_kit.clock import Clock, utc_now
from rapport_kit.idempotency import http as idempotency_http
from rapport_kit.idempotency.store import IdempotencyGuard, MongoClaims, forget_expired, kept_in
from rapport_kit.outbox import OutboxPublisher, OutboxSweeper
from rapport_kit.pages import PageRenderer, load_page_texts, load_stylesheet
from rapport_kit.runtime import ServiceRuntime
from rapport_schemas import topics

SERVICE = "contacts"
PACKAGE = "rapport_contacts"  # its pages: templates, wording and style as package data


def create_app(
    settings: ContactsSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Clock = utc_now,
) -> FastAPI:
    """``clock`` drives domain time (SLA deadlines and breaches, event times); tests inject it."""
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    sla_metrics = SlaMetrics.register(runtime.registry)
    vocabularies.configure(settings.segment_vocabularies)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = runtime.db
        publisher = OutboxPublisher(runtime.broker)
        contacts = MongoContactRepository(db["contacts"], publisher, settings)
        keys = MongoKeyStore(db["contact_keys"])
        ports = Ports(
            contacts,
            keys,
            _sla_policy(settings),
            clock,
            produce_v1_events=settings.produce_v1_events,
            erasure_deadline=timedelta(hours=settings.erasure_deadline_hours),
        )
        models = read_models(settings)
        runtime.consume_read_model(models[VIEW_CONSUMER])
        runtime.consume_read_model(models[RECORDS_CONSUMER])
        views = ContactViews(db)
        app.state.ports, app.state.views, app.state.outbox = ports, views, publisher
        app.state.records = ContactViews(db, ContactRecord.collection)
        app.state.preference_center = PreferenceCenter(ports, settings.link_keys())
        await contacts.create_indexes()
        await keys.create_indexes()
        claims = MongoClaims(db["contact_idempotency_keys"])
        app.state.idempotency = IdempotencyGuard(claims, kept_in(contacts.collection))
        app.state.idempotency_retention = timedelta(hours=settings.idempotency_key_retention_hours)
        sweeper = OutboxSweeper(
            [contacts],
            gauges=runtime.outbox_gauges,
            interval=settings.outbox_sweep_interval_seconds,
            grace=timedelta(seconds=settings.outbox_sweep_grace_seconds),
        )
        scheduler = SlaScheduler(ports, sla_metrics, interval=settings.sla_check_interval_seconds)
        completion = ErasureCompletion(ports)
        rolls = SegmentRolls(ports, KafkaPersonalTopic(runtime.broker, settings))
        personal = personal_topic_configs(settings.erasure_deadline_hours)
        async with runtime.run(
            produced_topics=[topics.CONTACTS, topics.CONTACTS_PERSONAL],
            topic_configs={topics.CONTACTS_PERSONAL: personal},
        ):
            runtime.periodic("outbox sweep", sweeper.interval, sweeper.sweep)
            # After the sweep's own interval: a completion waits for the tombstones' publish.
            runtime.periodic("erasure completion", sweeper.interval, completion.complete_once)
            runtime.periodic(
                "personal topic rolls", int(personal["segment.ms"]) / 1000, rolls.roll_once
            )
            runtime.periodic("SLA check", scheduler.interval, scheduler.check_once)
            runtime.periodic(
                "erased timeline pages",
                settings.view_erasure_sweep_interval_seconds,
                views.delete_erased_pages,
            )
            runtime.periodic(
                "idempotency keys",
                settings.idempotency_sweep_interval_seconds,
                lambda: _forget_keys(claims, contacts),
            )
            yield

    routers = [http.router, activity.router, export.router, preference_center.router]
    app = runtime.app(title="Rapport contacts", lifespan=lifespan, routers=routers)
    app.state.preference_pages = PageRenderer.build(
        PACKAGE,
        load_page_texts(PACKAGE),
        default_locale="en",
        brand=settings.brand_name,
        stylesheet=load_stylesheet(PACKAGE, "preferences.css"),
        stylesheet_path="/preferences/static/preferences.css",
    )
    errors.install(app)
    idempotency_http.install(app)
    return app


async def _forget_keys(claims: MongoClaims, contacts: MongoContactRepository) -> None:
    await forget_expired(claims, contacts.collection, utc_now())


def _sla_policy(settings: ContactsSettings) -> SlaPolicy:
    return SlaPolicy(
        business_hours=settings.sla_business_hours,
        opens=settings.business_day_opens,
        closes=settings.business_day_closes,
    )
