"""Wiring a ``BatchConsumer`` onto a FastStream Kafka broker with explicit group and ack policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from rapport_kit.assignment import single_active_assignor
from rapport_kit.consuming import BatchConsumer, DeadLetter, dead_letter_headers
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.personal import personal_topic_of
from rapport_kit.settings import ServiceSettings
from rapport_kit.truncation import (
    DEAD_LETTER_MAX_BYTES,
    stored_key,
    stored_value,
    summary_headers,
)
from rapport_schemas import dead_letters, topics

Records = tuple[ConsumerRecord[bytes, bytes], ...]
UNKNOWN_CONTENT_TYPE = "application/octet-stream"


def subscribe(
    broker: KafkaBroker,
    consumer: BatchConsumer,
    *,
    settings: ServiceSettings,
    group_id: str,
    topic_names: Sequence[str],
    metrics: ConsumerMetrics,
    single_active: bool = False,
) -> Callable[[], frozenset[TopicPartition]]:
    """Register ``consumer`` for ``topic_names`` (already prefixed) in group ``group_id``; returns
    the partitions assigned to this process at call time (empty before the broker starts).
    ``single_active``: every partition to one member of the group, the others standing by
    (``rapport_kit.assignment``)."""

    async def handle_batch(message: KafkaMessage) -> None:
        records: Records = message.raw_message
        await consumer.handle(records)
        _record_lag(getattr(message, "consumer", None), records, consumer.name, metrics)

    subscriber = broker.subscriber(
        *topic_names,
        group_id=group_id,
        batch=True,
        max_records=settings.consumer_batch_size,
        # FastStream's batch loop sleeps ``batch_timeout_ms`` after every empty poll, so an event
        # arriving then waits up to that long: with 100 ms, low-load latency grew by ~50 ms.
        batch_timeout_ms=settings.consumer_poll_ms,
        auto_offset_reset="earliest",
        # Heartbeats go out from the event loop that also folds batches: on a busy machine a
        # 10 s session expired mid-batch, and the group rebalanced again and again.
        session_timeout_ms=int(settings.consumer_session_timeout_seconds * 1000),
        heartbeat_interval_ms=int(settings.consumer_session_timeout_seconds * 1000 / 10),
        partition_assignment_strategy=(
            (single_active_assignor(),) if single_active else (RoundRobinPartitionAssignor,)
        ),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=_tolerant_parser,
        decoder=_raw_values,
        title=f"{group_id}:{consumer.name}",
    )
    subscriber(handle_batch)

    def assigned() -> frozenset[TopicPartition]:
        kafka_consumer = getattr(subscriber, "consumer", None)
        if not isinstance(kafka_consumer, AIOKafkaConsumer):
            return frozenset()
        return frozenset(kafka_consumer.assignment())

    return assigned


def dead_letter_publisher(
    broker: KafkaBroker, *, settings: ServiceSettings, service: str
) -> Callable[[str, Sequence[DeadLetter]], Awaitable[None]]:
    dlq_topic = settings.topic(topics.dead_letter_topic(service))

    async def publish(consumer_name: str, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            if personal_topic_of(letter.record.topic) is not None:
                await broker.publish(
                    b"", topic=dlq_topic, headers=withheld_headers(letter, consumer=consumer_name)
                )
                continue
            original = original_headers(letter.record)
            summary = stored_value(letter.record, letter.reason, limit=DEAD_LETTER_MAX_BYTES)
            if summary is not None:
                original = summary_headers(
                    letter.record, original, consumer=consumer_name, source=f"/rapport/{service}"
                )
            headers = original | dead_letter_headers(letter, consumer=consumer_name)
            await broker.publish(
                summary if summary is not None else letter.record.value or b"",
                topic=dlq_topic,
                key=stored_key(letter.record.key),
                headers=headers,
            )

    return publish


def withheld_headers(letter: DeadLetter, *, consumer: str) -> dict[str, str]:
    """A dead letter of a personal topic: the reason and the coordinates, nothing of the record
    (its value, key and headers may hold personal data that an erasure must be able to reach)."""
    return {
        "content-type": UNKNOWN_CONTENT_TYPE,
        dead_letters.WITHHELD: dead_letters.WITHHELD_PERSONAL,
        **dead_letter_headers(letter, consumer=consumer),
    }


def original_headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    """The record's headers as they came (the kit's producer sets ``content-type`` to structured
    CloudEvents), so a dead letter stays readable by a CloudEvents SDK. FastStream writes an empty
    ``content-type`` unless one is given: a record that had none gets ``application/octet-stream``,
    which says as much (unknown bytes) without claiming a format."""
    headers = {name: _text(value).decode() for name, value in record.headers}
    return headers | {"content-type": headers.get("content-type") or UNKNOWN_CONTENT_TYPE}


async def _tolerant_parser(
    records: Records, original: Callable[[Records], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """Headers that are not UTF-8 (or have no value) would make FastStream's parser fail the whole
    batch forever."""
    return await original(tuple(_with_text_headers(record) for record in records))


def _with_text_headers(record: ConsumerRecord[bytes, bytes]) -> ConsumerRecord[bytes, bytes]:
    headers = [(name, _text(value)) for name, value in record.headers]
    return dataclasses.replace(record, headers=headers)


def _text(value: bytes | None) -> bytes:
    return (value or b"").decode("utf-8", "replace").encode()


async def _raw_values(message: StreamMessage[Any]) -> list[bytes]:
    """Our ``BatchConsumer`` decodes each value itself, so one bad value cannot fail the batch."""
    return [record.value or b"" for record in message.raw_message]


def _record_lag(
    kafka_consumer: AIOKafkaConsumer | None,
    records: Records,
    name: str,
    metrics: ConsumerMetrics,
) -> None:
    if not isinstance(kafka_consumer, AIOKafkaConsumer):
        return
    last: dict[TopicPartition, int] = {}
    for record in records:
        last[TopicPartition(record.topic, record.partition)] = record.offset
    for partition, offset in last.items():
        highwater = kafka_consumer.highwater(partition)
        if highwater is not None:
            metrics.lag.labels(name, partition.topic, str(partition.partition)).set(
                max(0, highwater - offset - 1)
            )
