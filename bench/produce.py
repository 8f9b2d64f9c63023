"""Fast producing of a prepared dataset."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer


async def produce_all(bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes]]) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in messages]
        for future in futures:
            await future
        return len(futures)
    finally:
        await producer.stop()
