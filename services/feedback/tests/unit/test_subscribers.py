"""Each subscriber of the service on FastStream's in-memory broker (``TestKafkaBroker``): an event
published to a topic reaches the consumer's use case, wired with in-memory fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from faststream.kafka import TestKafkaBroker

from rapport_feedback.domain.contact import CountedMessage
from rapport_feedback.domain.policy import SurveyRules
from rapport_feedback.entrypoints import consumer
from rapport_feedback.read_models import VIEWS_CONSUMER, read_models
from rapport_feedback.service_layer.surveying import SurveyDesk
from rapport_feedback.settings import FeedbackSettings
from rapport_feedback.views.aggregates import AnswersByInteraction, AnswersByKind, interaction_key
from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ResponseRates
from rapport_kit.runtime import ServiceRuntime
from rapport_schemas import CloudEvent, EventData, topics
from rapport_schemas.common import Channel
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested
from rapport_schemas.notifications import NotificationSent
from services.feedback.tests.unit.factories import NOW
from services.feedback.tests.unit.fakes import (
    FakeContactFeedbackStore,
    FakeEventCounter,
    FakeSurveyStore,
)
from services.feedback.tests.unit.test_survey_desk import envelope, registered, resolved
from tests.support.in_memory import InMemoryReadModel, SettableClock, publish_event

SETTINGS = FeedbackSettings(environment="test", topic_prefix="unit.")


@pytest.fixture
def contacts() -> FakeContactFeedbackStore:
    return FakeContactFeedbackStore()


@pytest.fixture
def surveys() -> FakeSurveyStore:
    return FakeSurveyStore()


@pytest.fixture
def dead_letters() -> list[bytes]:
    return []


@pytest.fixture
async def broker(
    contacts: FakeContactFeedbackStore, surveys: FakeSurveyStore, dead_letters: list[bytes]
) -> AsyncIterator[TestKafkaBroker]:
    runtime = ServiceRuntime.build(SETTINGS, service="feedback")
    desk = SurveyDesk(
        contacts=contacts,
        surveys=surveys,
        rules=SurveyRules(),
        clock=SettableClock(NOW),
        token_ttl=timedelta(days=14),
        remembered_triggers=100,
        metrics=FakeEventCounter(),
    )
    runtime.consume(
        consumer.SURVEYS_CONSUMER,
        consumer.survey_decisions(desk),
        base_topics=consumer.SURVEY_TRIGGERS,
    )

    @runtime.broker.subscriber(SETTINGS.topic(topics.dead_letter_topic("feedback")))
    async def dead_lettered(body: bytes) -> None:
        dead_letters.append(body)

    async with TestKafkaBroker(runtime.broker) as test_broker:
        yield test_broker


async def publish(broker: TestKafkaBroker, event: CloudEvent[EventData], base: str) -> None:
    await publish_event(broker, SETTINGS, event, base_topic=base)


async def test_contact_events_reach_the_survey_desk(
    broker: TestKafkaBroker, contacts: FakeContactFeedbackStore, surveys: FakeSurveyStore
) -> None:
    await publish(broker, registered("c1"), topics.CONTACTS)
    await publish(broker, resolved("c1", "case-1"), topics.CONTACTS)

    requests = [e for e in contacts.events("c1") if isinstance(e, SurveyRequested)]
    assert sorted(r.kind for r in requests) == [SurveyKind.CES, SurveyKind.CSAT]
    assert len(surveys.surveys) == 2


async def test_notifications_reach_the_survey_desk_and_count_toward_fatigue(
    broker: TestKafkaBroker, contacts: FakeContactFeedbackStore
) -> None:
    await publish(broker, registered("c1"), topics.CONTACTS)
    sent = NotificationSent(
        notification_id="n1",
        contact_id="c1",
        template="promotion",
        channel=Channel.EMAIL,
        locale="tr",
        transactional=False,
        trigger_event_id="t",
        sent_at=NOW,
    )

    await publish(broker, envelope(sent, "sent-n1"), topics.NOTIFICATIONS)

    assert contacts.state("c1").notifications == (CountedMessage("n1", NOW),)


async def test_an_undecodable_record_is_dead_lettered_and_decides_nothing(
    broker: TestKafkaBroker, contacts: FakeContactFeedbackStore, dead_letters: list[bytes]
) -> None:
    await broker.publish(b"{not json", topic=SETTINGS.topic(topics.CONTACTS), key=b"c1")

    assert dead_letters == [b"{not json"]
    assert contacts.states == {}


# The views consumer: feedback and contact events folded into the read models the HTTP reads use.


@pytest.fixture
async def views_broker() -> AsyncIterator[tuple[TestKafkaBroker, InMemoryReadModel]]:
    runtime = ServiceRuntime.build(SETTINGS, service="feedback")
    views = InMemoryReadModel(read_models(SETTINGS)[VIEWS_CONSUMER])
    runtime.consume(views.model.consumer, views, base_topics=views.model.topics)
    async with TestKafkaBroker(runtime.broker) as test_broker:
        yield test_broker, views


async def test_survey_events_reach_every_feedback_read_model(
    views_broker: tuple[TestKafkaBroker, InMemoryReadModel],
) -> None:
    broker, views = views_broker
    request = SurveyRequested(
        survey_id="s1",
        contact_id="c1",
        kind=SurveyKind.CSAT,
        expires_at=NOW,
        channel=Channel.EMAIL,
        requested_at=NOW,
        language="tr-TR",
        country="TR",
        case_id="case-1",
    )
    answer = SurveyAnswered(
        survey_id="s1",
        contact_id="c1",
        kind=SurveyKind.CSAT,
        score=4,
        answered_at=NOW,
        language="tr-TR",
        country="TR",
        case_id="case-1",
    )

    await publish(broker, envelope(request, "e1"), topics.FEEDBACK)
    # TestKafkaBroker numbers every record offset 0: a second partition keeps the watermark apart.
    await publish_event(
        broker, SETTINGS, envelope(answer, "e2"), base_topic=topics.FEEDBACK, partition=1
    )

    documents = views.documents
    assert documents[FeedbackByContact.collection]["c1"]["latest"]["csat"]["score"] == 4
    rates = documents[ResponseRates.collection]
    assert {(d["segment"], d["value"], d["requested"], d["answered"]) for d in rates.values()} == {
        ("all", "all", 1, 1),
        ("country", "TR", 1, 1),
        ("language", "tr", 1, 1),
    }
    assert documents[AnswersByKind.collection]["csat"]["answered"] == 1
    assert documents[AnswersByInteraction.collection][interaction_key("case", "case-1")]
