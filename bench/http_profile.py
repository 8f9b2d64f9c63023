"""Where contacts' HTTP time goes: every store round trip of each kind of request, counted and
timed by a PyMongo command listener, and every Kafka send until its acknowledgement, with the
service running in this process against the real Kafka and FerretDB (``make bench`` starts them;
ports as ``bench.addresses``).

Requests go one at a time (``PROFILE_REQUESTS`` of each kind), so each round trip is attributed
to the request that made it; what the service does meanwhile in the background (its consumers
folding the events the requests published, the outbox sweeps) is reported apart, per event.
Run alone: ``python -m bench.http_profile``.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import monitoring

from bench import addresses

T = TypeVar("T")
PROFILE_REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "100"))
BACKGROUND = "background (consumers, outbox)"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request", default=BACKGROUND)


@dataclass
class Tally:
    calls: int = 0
    seconds: float = 0.0
    commands: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))


class RoundTrips(monitoring.CommandListener):
    """Each command's duration, under the request (context) that sent it."""

    def __init__(self) -> None:
        self.by_request: dict[str, Tally] = defaultdict(Tally)
        self._open: dict[int, tuple[str, str, str]] = {}
        # PyMongo keeps a registered listener for every later client: once the profile is
        # taken, the rest of ``make bench`` (the idle step's inserts and counts) is not counted.
        self.recording = True

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.recording:
            return
        target = event.command.get(event.command_name)
        collection = target if isinstance(target, str) else "-"
        self._open[event.request_id] = (_current.get(), event.command_name, collection)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._done(event.request_id, event.duration_micros)

    def _done(self, request_id: int, micros: int) -> None:
        opened = self._open.pop(request_id, None)
        if opened is not None:
            request, name, collection = opened
            self.by_request[request].commands[(name, collection)].append(micros / 1000)


def time_kafka_sends(listener: RoundTrips) -> None:
    """Each record's send until the broker acknowledged it, as a round trip of its request."""
    original = AIOKafkaProducer.send

    async def send(self: AIOKafkaProducer, topic: str, *args: Any, **kwargs: Any) -> Any:
        request, started = _current.get(), time.perf_counter()
        acknowledged = await original(self, topic, *args, **kwargs)

        def record(_: object) -> None:
            milliseconds = (time.perf_counter() - started) * 1000
            listener.by_request[request].commands[("kafka send+ack", "-")].append(milliseconds)

        acknowledged.add_done_callback(record)
        return acknowledged

    AIOKafkaProducer.send = send


async def profile() -> tuple[RoundTrips, int]:
    listener = RoundTrips()
    monitoring.register(listener)  # before the service creates its client
    time_kafka_sends(listener)
    from rapport_contacts.bootstrap import create_app
    from rapport_contacts.settings import ContactsSettings

    stamp = f"profile{int(time.time())}"
    settings = ContactsSettings(
        environment="test",
        kafka_bootstrap=addresses.kafka_bootstrap(),
        mongo_url=addresses.mongo_url(),
        mongo_database=f"{stamp}_contacts",
        topic_prefix=f"{stamp}.",
        api_keys={"bench-key": ["*"]},
        log_level="WARNING",
    )
    app = create_app(settings)
    headers = {"Authorization": "Bearer bench-key"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://contacts", headers=headers
        ) as client:
            await _warm_up(client)
            listener.by_request.clear()
            events = await _requests(client, listener)
            await asyncio.sleep(5)  # the consumers fold what the requests published
    listener.recording = False
    return listener, events


async def _warm_up(client: httpx.AsyncClient) -> None:
    for n in range(10):
        contact = await _register(client, f"warm{n}")
        await client.patch(f"/contacts/{contact}", json={"phone": "+36301234567"})


async def _requests(client: httpx.AsyncClient, listener: RoundTrips) -> int:
    """Each kind of request ``PROFILE_REQUESTS`` times; returns the events they published."""
    contacts = [
        await _timed(listener, "POST /contacts", partial(_register, client, f"p{n}"))
        for n in range(PROFILE_REQUESTS)
    ]

    async def patch(contact: str, n: int) -> None:
        answer = await client.patch(f"/contacts/{contact}", json={"phone": f"+3630{n:07d}"})
        answer.raise_for_status()

    async def log(contact: str) -> None:
        body = {"channel": "email", "direction": "inbound", "kind": "support", "summary": "Hi"}
        answer = await client.post(f"/contacts/{contact}/interactions", json=body)
        answer.raise_for_status()

    async def read(contact: str) -> None:
        (await client.get(f"/contacts/{contact}")).raise_for_status()

    for n, contact in enumerate(contacts):
        await _timed(listener, "PATCH /contacts/{id}", partial(patch, contact, n))
        await _timed(listener, "POST /contacts/{id}/interactions", partial(log, contact))
        await _timed(listener, "GET /contacts/{id}", partial(read, contact))
    # Registration: ContactRegistered + ContactPersonalData; a phone change: ContactUpdated +
    # ContactPersonalData; an interaction with a summary: InteractionLogged + InteractionSummary.
    return 6 * PROFILE_REQUESTS


async def _timed(listener: RoundTrips, name: str, call: Callable[[], Awaitable[T]]) -> T:
    token = _current.set(name)
    started = time.perf_counter()
    try:
        return await call()
    finally:
        tally = listener.by_request[name]
        tally.calls += 1
        tally.seconds += time.perf_counter() - started
        _current.reset(token)


async def _register(client: httpx.AsyncClient, tag: str) -> str:
    profile = {
        "name": "Bench Profile",
        "email": f"profile.{tag}.{time.time_ns()}@example.com",
        "language": "en",
        "time_zone": "UTC",
        "country": "GB",
        "currency": "GBP",
    }
    answer = await client.post("/contacts", json={"profile": profile})
    answer.raise_for_status()
    return str(answer.json()["contact_id"])


def print_profile(listener: RoundTrips, events: int) -> None:
    print(
        "\n| contacts request (one at a time) | ms per request | round trips per request "
        "| ms in them per request | round trips: store command and collection, or Kafka send, "
        "× per request (mean ms) |\n|---|---:|---:|---:|---|"
    )
    for name, tally in listener.by_request.items():
        per = tally.calls or events  # background: per event published
        trips = sum(len(t) for t in tally.commands.values())
        store_ms = sum(sum(t) for t in tally.commands.values())
        detail = ", ".join(
            f"{command} {collection} ×{len(times) / per:.2f} ({sum(times) / len(times):.1f})"
            for (command, collection), times in sorted(
                tally.commands.items(), key=lambda item: -sum(item[1])
            )
        )
        wall = f"{tally.seconds * 1000 / tally.calls:.1f}" if tally.calls else "–"
        label = name if tally.calls else f"{name}, per event ({events} events)"
        print(f"| {label} | {wall} | {trips / per:.1f} | {store_ms / per:.1f} | {detail} |")


async def main() -> None:
    listener, events = await profile()
    print_profile(listener, events)


if __name__ == "__main__":
    asyncio.run(main())
