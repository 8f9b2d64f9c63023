"""Plain aiokafka helpers: what an outside subscriber would see on a topic."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

T = TypeVar("T")


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


_TRUTHY = object()  # ``eventually``'s default: any truthy value will do


class WaitTimedOut(AssertionError):
    """A wait whose condition never held (or a steady value that changed)."""


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    expected: object = _TRUTHY,
    until: Callable[[T], bool] | None = None,
    timeout: float = 30.0,
    interval: float = 0.2,
) -> T:
    """Poll ``check`` until it returns ``expected`` (or satisfies ``until``, or else is truthy)
    and return that value; raise ``WaitTimedOut`` naming the last value after ``timeout`` s."""
    if until is not None and expected is not _TRUTHY:
        raise TypeError("eventually takes expected or until, not both")
    wanted = "a truthy value" if until is None else f"a value for which {until.__name__} holds"
    if expected is not _TRUTHY:
        wanted = repr(expected)
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if until is not None:
            done = until(result)
        else:
            done = bool(result) if expected is _TRUTHY else result == expected
        if done:
            return result
        if time.monotonic() > deadline:
            raise WaitTimedOut(
                f"{_name(check)} still returned {result!r} after {timeout} s; wanted {wanted}"
            )
        await asyncio.sleep(interval)


async def stays(
    check: Callable[[], Awaitable[T]], value: T, *, for_seconds: float, interval: float = 0.2
) -> None:
    """Poll ``check`` for ``for_seconds`` and fail (``WaitTimedOut``) the moment it returns
    anything but ``value``: the negative wait (nothing more happens) that ``eventually`` is not."""
    started = time.monotonic()
    while True:
        result = await check()
        elapsed = time.monotonic() - started
        if result != value:
            raise WaitTimedOut(
                f"{_name(check)} returned {result!r} after {elapsed:.1f} s; it was to stay "
                f"{value!r} for {for_seconds} s"
            )
        if elapsed >= for_seconds:
            return
        await asyncio.sleep(interval)


def _name(check: Callable[..., object]) -> str:
    return getattr(check, "__qualname__", repr(check))
