"""The one place that wires the feedback service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from opentelemetry.sdk.trace import SpanProcessor

from rapport_feedback.adapters.contact_store import MongoContactFeedbackStore
from rapport_feedback.adapters.feedback_views import MongoFeedbackViews
from rapport_feedback.adapters.metrics import FeedbackMetrics
from rapport_feedback.adapters.page_texts import stylesheet
from rapport_feedback.adapters.personal_topic import KafkaPersonalTopic
from rapport_feedback.adapters.survey_store import MongoSurveyStore
from rapport_feedback.entrypoints import answers, consumer, reads, survey_page
from rapport_feedback.read_models import VIEWS_CONSUMER, read_models
from rapport_feedback.service_layer.answering import AnswerIntake
from rapport_feedback.service_layer.erasure import SegmentRolls
from rapport_feedback.service_layer.reading import FeedbackReads
from rapport_feedback.service_layer.surveying import SurveyDesk
from rapport_feedback.settings import FeedbackSettings
from rapport_kit.admin import personal_topic_configs
from rapport_kit.clock import Clock, utc_now
from rapport_kit.outbox import OutboxPublisher, OutboxSweeper
from rapport_kit.pages import PageRenderer, load_page_texts
from rapport_kit.runtime import ServiceRuntime
from rapport_schemas import topics

SERVICE = "feedback"


def create_app(
    settings: FeedbackSettings,
    *,
    span_processors: tuple[SpanProcessor, ...] = (),
    clock: Clock = utc_now,
) -> FastAPI:
    runtime = ServiceRuntime.build(settings, service=SERVICE, span_processors=span_processors)
    metrics = FeedbackMetrics.register(runtime.registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = runtime.db
        publisher = OutboxPublisher(runtime.broker)
        contacts = MongoContactFeedbackStore(db["contact_feedback"], publisher, settings, clock)
        surveys = MongoSurveyStore(db["surveys"], publisher, settings, clock)
        await surveys.ensure_indexes()
        await contacts.ensure_indexes()
        app.state.answers = AnswerIntake(
            surveys,
            contacts,
            clock,
            metrics,
            link_keys=settings.link_keys(),
            produce_v1_events=settings.produce_v1_events,
        )
        app.state.feedback_reads = FeedbackReads(MongoFeedbackViews(db))
        runtime.consume(
            consumer.SURVEYS_CONSUMER,
            consumer.survey_decisions(_survey_desk(settings, contacts, surveys, clock, metrics)),
            base_topics=consumer.SURVEY_TRIGGERS,
        )
        runtime.consume_read_model(read_models(settings)[VIEWS_CONSUMER])
        sweeper = OutboxSweeper([contacts, surveys], gauges=runtime.outbox_gauges)
        configs = personal_topic_configs(settings.erasure_deadline_hours)
        deadline = timedelta(hours=settings.erasure_deadline_hours)
        rolls = SegmentRolls(surveys, KafkaPersonalTopic(runtime.broker, settings), clock, deadline)
        produced = [topics.FEEDBACK, topics.FEEDBACK_PERSONAL]
        async with runtime.run(
            produced_topics=produced, topic_configs={topics.FEEDBACK_PERSONAL: configs}
        ):
            runtime.periodic("outbox sweep", sweeper.interval, sweeper.sweep)
            rolls_every = int(configs["segment.ms"]) / 1000
            runtime.periodic("personal topic rolls", rolls_every, rolls.roll_once, wait_first=True)
            yield

    app = runtime.app(
        title="Rapport feedback",
        lifespan=lifespan,
        routers=[survey_page.router, answers.router, reads.router],
    )
    app.state.survey_pages = PageRenderer.build(
        "rapport_feedback",
        load_page_texts("rapport_feedback"),
        default_locale=settings.default_locale,
        brand=settings.brand_name,
        stylesheet=stylesheet(),
        stylesheet_path="/answers/static/survey.css",
    )
    return app


def _survey_desk(
    settings: FeedbackSettings,
    contacts: MongoContactFeedbackStore,
    surveys: MongoSurveyStore,
    clock: Clock,
    metrics: FeedbackMetrics,
) -> SurveyDesk:
    return SurveyDesk(
        contacts=contacts,
        surveys=surveys,
        rules=settings.survey_rules(),
        clock=clock,
        token_ttl=timedelta(days=settings.survey_token_ttl_days),
        remembered_triggers=settings.remembered_triggers,
        metrics=metrics,
        produce_v1_events=settings.produce_v1_events,
    )
