"""The ``triggers`` subscriber on FastStream's in-memory broker (``TestKafkaBroker``): an event
published to a consumed topic reaches the consumer, wired to in-memory fakes, through the kit's
subscription (group, batch, decoding, dead letters) as ``bootstrap`` registers it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from rapport_kit.consuming import BatchConsumer
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.subscription import dead_letter_publisher, subscribe
from rapport_notifications.bootstrap import CONSUMER, SERVICE
from rapport_notifications.domain.templates import Template
from rapport_notifications.entrypoints.consumer import TriggerConsumer
from rapport_notifications.service_layer.intake import Intake
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased, ContactRegisteredV1
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from services.notifications.tests.unit.fakes import (
    FakeClock,
    FakeDeliveries,
    FakeDirectory,
    FakeErasureRequests,
)
from services.notifications.tests.unit.samples import NOW, PROFILE
from tests.support.in_memory import publish_event

SETTINGS = NotificationsSettings()


@dataclass
class Subscribed:
    broker: KafkaBroker
    deliveries: FakeDeliveries
    directory: FakeDirectory
    erasures: FakeErasureRequests
    intake: Intake
    dead_letters: list[dict[str, str]]

    async def publish(
        self, data: EventData, *, base_topic: str, event_id: str | None = None
    ) -> str:
        event = wrap(data, source="/test", event_id=event_id)
        return await publish_event(self.broker, SETTINGS, event, base_topic=base_topic)


@pytest.fixture
async def subscribed() -> AsyncIterator[Subscribed]:
    broker = KafkaBroker()
    deliveries, directory, erasures = FakeDeliveries(), FakeDirectory(), FakeErasureRequests()
    intake = Intake(deliveries, erasures, asyncio.Event(), FakeClock(NOW))
    metrics = ConsumerMetrics.register(CollectorRegistry())
    consumer = BatchConsumer(
        name=CONSUMER,
        apply=TriggerConsumer(directory, intake),
        publish_dead_letters=dead_letter_publisher(broker, settings=SETTINGS, service=SERVICE),
        metrics=metrics,
    )
    subscribe(
        broker,
        consumer,
        settings=SETTINGS,
        group_id=f"rapport-{SERVICE}-{CONSUMER}",
        topic_names=[SETTINGS.topic(topics.CONTACTS), SETTINGS.topic(topics.FEEDBACK)],
        metrics=metrics,
    )
    dead_letters: list[dict[str, str]] = []

    @broker.subscriber(SETTINGS.topic(topics.dead_letter_topic(SERVICE)))
    async def dead_letter(body: bytes, message: KafkaMessage) -> None:
        dead_letters.append(dict(message.headers))

    async with TestKafkaBroker(broker) as test_broker:
        yield Subscribed(test_broker, deliveries, directory, erasures, intake, dead_letters)


async def test_a_registration_folds_the_directory_and_plans_one_welcome(
    subscribed: Subscribed,
) -> None:
    registered = ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=NOW)
    event_id = await subscribed.publish(registered, base_topic=topics.CONTACTS)
    card = await subscribed.directory.card("c1")
    assert card is not None
    assert (card.email, card.time_zone, card.country) == (
        "ayse@example.com.tr",
        "Europe/Istanbul",
        "TR",
    )
    assert list(subscribed.deliveries.documents) == [f"{event_id}|welcome|contact:c1"]
    assert subscribed.intake.wake.is_set()
    assert subscribed.dead_letters == []


async def test_a_redelivered_registration_plans_nothing_more(subscribed: Subscribed) -> None:
    registered = ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=NOW)
    event_id = await subscribed.publish(registered, base_topic=topics.CONTACTS)
    await subscribed.publish(registered, base_topic=topics.CONTACTS, event_id=event_id)
    assert list(subscribed.deliveries.documents) == [f"{event_id}|welcome|contact:c1"]


async def test_a_survey_request_on_the_feedback_topic_plans_an_invitation(
    subscribed: Subscribed,
) -> None:
    requested = SurveyRequested(
        survey_id="s-1",
        contact_id="c1",
        kind=SurveyKind.NPS,
        expires_at=NOW + timedelta(days=7),
        language="tr-TR",
        channel=Channel.EMAIL,
        requested_at=NOW,
    )
    await subscribed.publish(requested, base_topic=topics.FEEDBACK)
    [document] = subscribed.deliveries.documents.values()
    assert (document["template"], document["contact_id"]) == (Template.SURVEY_INVITATION, "c1")
    assert document["facts"]["survey_id"] == "s-1"


async def test_an_erasure_is_requested(subscribed: Subscribed) -> None:
    await subscribed.publish(
        ContactErased(contact_id="c1", erased_at=NOW), base_topic=topics.CONTACTS
    )
    assert subscribed.erasures.requested == {"c1": NOW}
    card = await subscribed.directory.card("c1")
    assert card is not None and card.erased


async def test_an_undecodable_record_is_dead_lettered_and_plans_nothing(
    subscribed: Subscribed,
) -> None:
    await subscribed.broker.publish(b"{not json", topic=SETTINGS.topic(topics.CONTACTS), key=b"c1")
    [headers] = subscribed.dead_letters
    assert headers["x-rapport-dlq-consumer"] == CONSUMER
    assert headers["x-rapport-original-topic"] == SETTINGS.topic(topics.CONTACTS)
    assert headers["x-rapport-dlq-reason"] == "invalid_json"
    assert subscribed.deliveries.documents == {}
