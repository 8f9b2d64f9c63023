"""The ``kpis`` subscriber on FastStream's in-memory broker (``TestKafkaBroker``): events of the
three consumed topics reach the KPI pipeline, wired to in-memory fakes, through the kit's
subscription (group, batch, decoding, dead letters) as ``bootstrap`` registers it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from rapport_kit.consuming import BatchConsumer
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.subscription import dead_letter_publisher, subscribe
from rapport_metrics.bootstrap import SERVICE
from rapport_metrics.entrypoints.consumer import KPI_TOPICS, KPIS_CONSUMER, kpi_batches
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from rapport_schemas.notifications import NotificationSent
from services.metrics.tests.unit.fakes import FakeSeenEvents
from services.metrics.tests.unit.in_memory import T0, InMemoryKpis, interaction, registered
from tests.support.in_memory import publish_event

SETTINGS = MetricsSettings()
DAY = "2025-11-03"


@dataclass
class Subscribed:
    broker: KafkaBroker
    kpis: InMemoryKpis
    dead_letters: list[dict[str, str]]

    async def publish(
        self, data: EventData, *, base_topic: str, event_id: str | None = None
    ) -> str:
        event = wrap(data, source="/test", event_id=event_id)
        return await publish_event(self.broker, SETTINGS, event, base_topic=base_topic)


@pytest.fixture
async def subscribed() -> AsyncIterator[Subscribed]:
    broker, kpis = KafkaBroker(), InMemoryKpis(SETTINGS)
    metrics = ConsumerMetrics.register(CollectorRegistry())
    consumer = BatchConsumer(
        name=KPIS_CONSUMER,
        apply=kpi_batches(FakeSeenEvents(), kpis.pipeline),
        publish_dead_letters=dead_letter_publisher(broker, settings=SETTINGS, service=SERVICE),
        metrics=metrics,
    )
    subscribe(
        broker,
        consumer,
        settings=SETTINGS,
        group_id=f"rapport-{SERVICE}-{KPIS_CONSUMER}",
        topic_names=[SETTINGS.topic(base) for base in KPI_TOPICS],
        metrics=metrics,
    )
    dead_letters: list[dict[str, str]] = []

    @broker.subscriber(SETTINGS.topic(topics.dead_letter_topic(SERVICE)))
    async def dead_letter(body: bytes, message: KafkaMessage) -> None:
        dead_letters.append(dict(message.headers))

    async with TestKafkaBroker(broker) as test_broker:
        yield Subscribed(test_broker, kpis, dead_letters)


async def test_events_of_every_consumed_topic_reach_the_counters(subscribed: Subscribed) -> None:
    await subscribed.publish(registered("c1"), base_topic=topics.CONTACTS)
    await subscribed.publish(interaction("c1", T0), base_topic=topics.CONTACTS)
    answered = SurveyAnswered(
        survey_id="s-1",
        contact_id="c1",
        kind=SurveyKind.NPS,
        score=10,
        answered_at=T0,
        channel=Channel.EMAIL,
    )
    await subscribed.publish(answered, base_topic=topics.FEEDBACK)
    sent = NotificationSent(
        notification_id="n-1",
        contact_id="c1",
        template="welcome",
        channel=Channel.EMAIL,
        locale="tr-TR",
        transactional=True,
        trigger_event_id="e-1",
        sent_at=T0,
    )
    await subscribed.publish(sent, base_topic=topics.NOTIFICATIONS)
    kpis = subscribed.kpis
    assert kpis.counters(f"interactions|day|{DAY}|country=TR") == {
        "n": 1,
        "inbound": 1,
        "complaints": 0,
    }
    assert kpis.counters(f"nps|day|{DAY}|all=all") == {"n": 1, "promoters": 1, "detractors": 0}
    assert kpis.counters(f"notifications|day|{DAY}|channel=email") == {
        "outcomes": 1,
        "delivered": 1,
    }
    assert kpis.sink.points()[f"delivery_success_rate|day|{DAY}|all=all"].value == 100.0
    assert subscribed.dead_letters == []


async def test_a_republished_event_changes_nothing(subscribed: Subscribed) -> None:
    await subscribed.publish(registered("c1"), base_topic=topics.CONTACTS)
    event_id = await subscribed.publish(interaction("c1", T0), base_topic=topics.CONTACTS)
    stored = subscribed.kpis.read_models.snapshot()
    await subscribed.publish(interaction("c1", T0), base_topic=topics.CONTACTS, event_id=event_id)
    assert subscribed.kpis.read_models.snapshot() == stored


async def test_an_undecodable_record_is_dead_lettered_and_counts_nothing(
    subscribed: Subscribed,
) -> None:
    await subscribed.broker.publish(b"{not json", topic=SETTINGS.topic(topics.CONTACTS), key=b"c1")
    [headers] = subscribed.dead_letters
    assert headers["x-rapport-dlq-consumer"] == KPIS_CONSUMER
    assert headers["x-rapport-dlq-reason"] == "invalid_json"
    assert subscribed.kpis.read_models.shelves == {}
