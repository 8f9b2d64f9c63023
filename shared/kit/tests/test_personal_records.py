"""Records of the personal topics and v1 copies, as every Rapport consumer reads them: a copy is
skipped, a null value on a personal topic is a ``Tombstone`` event (on an event topic it stays a
dead letter), a roll tombstone is skipped, and a personal record's dead letter holds nothing of it.
On FastStream's in-memory broker (``TestKafkaBroker``) through the kit's subscription, and on the
consumer itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from rapport_kit.consuming import BatchConsumer, DeadLetter, ReceivedEvent, dead_letter
from rapport_kit.errors import PermanentError
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.personal import Tombstone, personal_topic_of, roll_key
from rapport_kit.retry import RetryPolicy
from rapport_kit.settings import ServiceSettings
from rapport_kit.subscription import dead_letter_publisher, subscribe
from rapport_schemas import CONTENT_TYPE, CloudEvent, EventData, topics, wrap
from rapport_schemas.asyncapi import document
from rapport_schemas.contacts import (
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    InteractionSummary,
)

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
SETTINGS = ServiceSettings(topic_prefix="t.")
EVENTS, PERSONAL = SETTINGS.topic(topics.CONTACTS), SETTINGS.topic(topics.CONTACTS_PERSONAL)
PROFILE = ContactProfile(
    name="Ada Example",
    email="ada@example.org",
    language="de-DE",
    time_zone="Europe/Berlin",
    country="DE",
    currency="EUR",
)


def raw(
    value: bytes | None, *, topic: str, offset: int, key: bytes | None
) -> ConsumerRecord[bytes, bytes]:
    size = len(value) if value is not None else -1
    return ConsumerRecord(
        topic, 0, offset, 1_764_579_600_000, 0, key, value, None, len(key or b""), size, []
    )


def serialized(event: CloudEvent[Any]) -> bytes:
    return event.model_dump_json().encode()


@dataclass
class Recorder:
    applied: list[ReceivedEvent] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    refuse_personal: bool = False

    async def apply(self, batch: Sequence[ReceivedEvent]) -> None:
        if self.refuse_personal and any(r.topic == PERSONAL for r in batch):
            raise PermanentError("refused", "a handler refusing personal records")
        self.applied.extend(batch)

    async def dead_letters(self, consumer: str, letters: Sequence[DeadLetter]) -> None:
        self.dead.extend(letters)


def consumer_for(recorder: Recorder, metrics: ConsumerMetrics | None = None) -> BatchConsumer:
    return BatchConsumer(
        name="test",
        apply=recorder.apply,
        publish_dead_letters=recorder.dead_letters,
        metrics=metrics or ConsumerMetrics.register(CollectorRegistry()),
        retry=RetryPolicy(attempts=2, first_delay=0.001),
    )


async def test_copies_and_roll_tombstones_are_skipped_and_a_tombstone_is_handed_over() -> None:
    registered = wrap(
        ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    copy = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT),
        source="/t",
        copy_of=registered.id,
    )
    history = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    personal = wrap(ContactPersonalData.of("ct_1", PROFILE, recorded_at=AT), source="/t")
    summary = wrap(
        InteractionSummary(contact_id="ct_1", interaction_id="in_1", summary="x", occurred_at=AT),
        source="/t",
    )
    registry = CollectorRegistry()
    recorder = Recorder()
    await consumer_for(recorder, ConsumerMetrics.register(registry)).handle(
        [
            raw(serialized(registered), topic=EVENTS, offset=0, key=b"ct_1"),
            raw(serialized(copy), topic=EVENTS, offset=1, key=b"ct_1"),
            raw(serialized(history), topic=EVENTS, offset=2, key=b"ct_1"),
            raw(serialized(personal), topic=PERSONAL, offset=0, key=b"ct_1"),
            raw(serialized(summary), topic=PERSONAL, offset=1, key=b"ct_1:interaction:in_1"),
            raw(None, topic=PERSONAL, offset=2, key=b"ct_1:interaction:in_1"),
            raw(None, topic=PERSONAL, offset=3, key=roll_key(0).encode()),
            raw(None, topic=PERSONAL, offset=4, key=b"ct_1"),
            raw(None, topic=EVENTS, offset=3, key=b"ct_1"),
            raw(serialized(summary), topic=PERSONAL, offset=5, key=b"ct_1"),
        ]
    )
    assert [(r.topic, r.offset) for r in recorder.applied] == [
        (EVENTS, 0),
        (EVENTS, 2),  # the v1 history is folded as before
        (PERSONAL, 0),
        (PERSONAL, 1),
        (PERSONAL, 2),
        (PERSONAL, 4),
    ]
    erasures = [r for r in recorder.applied if isinstance(r.data, Tombstone)]
    match erasures[0].data:
        case Tombstone(personal_topic=topics.CONTACTS_PERSONAL, key=key, contact_id="ct_1"):
            assert key == "ct_1:interaction:in_1"
        case _:
            pytest.fail("not a tombstone of the contacts' personal topic")
    assert erasures[0].data.item == ("interaction", "in_1") and erasures[1].data.item is None
    assert erasures[0].event.subject == "ct_1" and erasures[0].event.partitionkey == key
    assert erasures[0].event.id == f"tombstone:{PERSONAL}:0:2"
    assert [(d.record.topic, d.record.offset, d.reason) for d in recorder.dead] == [
        (EVENTS, 3, "invalid_json"),  # a null value on an event topic stays a dead letter
        (PERSONAL, 5, "key_mismatch"),  # a summary must be keyed by its item
    ]
    skipped = {
        reason: registry.get_sample_value(
            "rapport_events_skipped_total", {"consumer": "test", "reason": reason}
        )
        for reason in ("v1_copy", "roll")
    }
    assert skipped == {"v1_copy": 1.0, "roll": 1.0}


async def test_a_tombstone_without_a_key_is_a_dead_letter() -> None:
    recorder = Recorder()
    await consumer_for(recorder).handle([raw(None, topic=PERSONAL, offset=0, key=None)])
    assert recorder.applied == []
    assert [(d.reason, d.detail) for d in recorder.dead] == [
        ("invalid_tombstone", "tombstone without a key")
    ]


def test_a_personal_topic_is_recognised_under_any_prefix() -> None:
    assert personal_topic_of("acme.rapport.feedback.personal") == topics.FEEDBACK_PERSONAL
    assert personal_topic_of(topics.CONTACTS_PERSONAL) == topics.CONTACTS_PERSONAL
    assert personal_topic_of("acme.rapport.contacts.events") is None


@dataclass
class RecordingBroker:
    published: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, value: bytes, **options: Any) -> None:
        self.published.append({"value": value, **options})


async def test_a_dead_letter_of_a_personal_record_holds_only_where_and_why() -> None:
    broker = RecordingBroker()
    publish = dead_letter_publisher(cast(KafkaBroker, broker), settings=SETTINGS, service="x")
    personal = serialized(
        wrap(ContactPersonalData.of("ct_1", PROFILE, recorded_at=AT), source="/t")
    )
    record = raw(personal, topic=PERSONAL, offset=7, key=b"ct_1")
    record.headers = [("content-type", CONTENT_TYPE.encode()), ("x-mail", b"ada@example.org")]
    await publish("view", [dead_letter(record, "handler_error", "KeyError")])
    [letter] = broker.published
    assert letter["value"] == b"" and letter.get("key") is None
    schema = document()["components"]["schemas"]["WithheldDeadLetterHeaders"]
    assert set(letter["headers"]) == set(schema["properties"]) == set(schema["required"])
    assert letter["headers"]["x-rapport-dlq-withheld"] == "personal"
    assert letter["headers"]["x-rapport-original-offset"] == "7"
    assert "ada@example.org" not in repr(letter)


@dataclass
class Subscribed:
    broker: KafkaBroker
    recorder: Recorder
    dead_letters: list[tuple[bytes, dict[str, str]]]


@pytest.fixture
async def subscribed() -> AsyncIterator[Subscribed]:
    broker, recorder = KafkaBroker(), Recorder(refuse_personal=True)
    metrics = ConsumerMetrics.register(CollectorRegistry())
    consumer = BatchConsumer(
        name="view",
        apply=recorder.apply,
        publish_dead_letters=dead_letter_publisher(broker, settings=SETTINGS, service="x"),
        metrics=metrics,
        retry=RetryPolicy(attempts=1, first_delay=0.001),
    )
    subscribe(
        broker,
        consumer,
        settings=SETTINGS,
        group_id="t.rapport-x-view",
        topic_names=[EVENTS, PERSONAL],
        metrics=metrics,
    )
    letters: list[tuple[bytes, dict[str, str]]] = []

    @broker.subscriber(SETTINGS.topic(topics.dead_letter_topic("x")))
    async def dead_letter(body: bytes, message: KafkaMessage) -> None:
        letters.append((body, dict(message.headers)))

    async with TestKafkaBroker(broker) as test_broker:
        yield Subscribed(test_broker, recorder, letters)


async def test_through_the_broker_a_copy_is_skipped_and_a_refused_tombstone_is_withheld(
    subscribed: Subscribed,
) -> None:
    original: CloudEvent[EventData] = wrap(
        ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    copy = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT),
        source="/t",
        copy_of=original.id,
    )
    for event in (original, copy):
        await subscribed.broker.publish(serialized(event), topic=EVENTS, key=b"ct_1")
    await subscribed.broker.publish(None, topic=PERSONAL, key=b"ct_1")
    assert [r.event.id for r in subscribed.recorder.applied] == [original.id]
    [(body, headers)] = subscribed.dead_letters
    assert body == b"" and headers["x-rapport-dlq-withheld"] == "personal"
    assert headers["x-rapport-dlq-reason"] == "refused"
    assert headers["x-rapport-original-topic"] == PERSONAL
