"""Plain aiokafka helpers: what an outside subscriber would see on a topic."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord


async def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def read_until(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    *,
    timeout: float = 30.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from the beginning until ``done(records)`` or the timeout."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(records) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


def values(records: list[ConsumerRecord[bytes, bytes]]) -> list[dict[str, Any]]:
    return [json.loads(r.value or b"{}") for r in records]


async def eventually(
    check: Callable[[], Any], *, expected: Any = None, timeout: float = 30.0, interval: float = 0.2
) -> Any:
    """Poll an async ``check`` until it returns ``expected`` (or anything truthy if not given)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        done = bool(result) if expected is None else result == expected
        if done or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)
