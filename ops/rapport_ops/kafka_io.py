"""Reading topics end to end with plain aiokafka (no consumer group, nothing committed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from rapport_kit.admin import end_offsets

Record: TypeAlias = ConsumerRecord  # aiokafka ships no type information


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def read_topic(
    bootstrap: str, topic: str, *, from_beginning: bool = True, follow: bool = False
) -> AsyncIterator[Record]:
    """Every record now in ``topic`` (and later ones with ``follow``), in partition order."""
    ends = await end_offsets(bootstrap, [topic])
    if not follow and not (from_beginning and any(ends.values())):
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        for partition, end in ends.items():
            if from_beginning:
                await consumer.seek_to_beginning(partition)
            else:
                consumer.seek(partition, end)
        remaining = {p for p, end in ends.items() if from_beginning and end > 0}
        while follow or remaining:
            batches: dict[TopicPartition, list[Record]] = await consumer.getmany(timeout_ms=500)
            for partition, records in batches.items():
                for record in records:
                    yield record
                    if record.offset >= ends[partition] - 1:
                        remaining.discard(partition)
    finally:
        await consumer.stop()


def header_map(record: Record) -> dict[str, str]:
    return {name: value.decode("utf-8", "replace") for name, value in record.headers}


def total(offsets: dict[Any, int]) -> int:
    return sum(offsets.values())
