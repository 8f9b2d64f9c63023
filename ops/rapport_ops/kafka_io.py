"""Reading topics end to end with plain aiokafka (no consumer group, nothing committed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from rapport_kit.admin import end_offsets
from rapport_ops.connection import Target

Record: TypeAlias = ConsumerRecord  # aiokafka ships no type information


class UnknownTopic(LookupError):
    """A topic the broker does not have (asked before reading: reading would create it)."""


@asynccontextmanager
async def admin_client(target: Target) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=target.bootstrap, **target.security)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@asynccontextmanager
async def producer(target: Target) -> AsyncIterator[AIOKafkaProducer]:
    client = AIOKafkaProducer(
        bootstrap_servers=target.bootstrap,
        acks="all",
        enable_idempotence=True,
        **target.security,
    )
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def require_topics(target: Target, names: list[str]) -> None:
    """Refuse topics the broker does not have (with auto-creation on, a read would create them)."""
    async with admin_client(target) as admin:
        existing = set(await admin.list_topics())
    if missing := [name for name in names if name not in existing]:
        similar = sorted(
            n for n in existing if any(n.endswith(m.split(".", 1)[-1]) for m in missing)
        )
        more = f" and {len(similar) - 3} more" if len(similar) > 3 else ""
        hint = f"; similar: {', '.join(similar[:3])}{more} (--topic-prefix?)" if similar else ""
        raise UnknownTopic(f"no topic {', '.join(missing)} on {target.bootstrap}{hint}")


async def read_topic(
    target: Target, topic: str, *, from_beginning: bool = True, follow: bool = False
) -> AsyncIterator[Record]:
    """Every record now in ``topic`` (and later ones with ``follow``), in partition order."""
    await require_topics(target, [topic])
    ends = await end_offsets(target.bootstrap, [topic], security=target.security)
    if not follow and not (from_beginning and any(ends.values())):
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=target.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **target.security,
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
