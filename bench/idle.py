"""Idle store cost: the four services running with no traffic, and the CPU the MongoDB-wire server
(FerretDB) burns meanwhile, over 30 s, at two data sizes. Their periodic polls (outbox sweeps,
due-delivery and lease rounds, SLA deadlines, backlog gauges, the event webhook relay, due
campaigns) are the only load, so the figure says how a poll's cost grows with the collections it
reads.

The data is grown by copying the documents the services wrote for a few real contacts (registered
over HTTP, with an interaction each, an event webhook subscription delivering their events to a
local receiver, and one campaign), so every polled collection holds documents of its real shape;
the copies are inert (nothing pending, due or open), as in a quiet night. Run alone:
``python -m bench.idle`` (prints one table), or as part of ``make bench``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from bench import addresses, processes

SERVICES = ("contacts", "feedback", "notifications", "metrics")
# Documents per polled collection.
SIZES = tuple(int(n) for n in os.environ.get("BENCH_IDLE_SIZES", "300,3000").split(","))
# What the periodic polls read: outbox sweeps (contacts, contact_feedback, surveys, deliveries),
# SLA deadlines (contacts), due deliveries, their leases and the backlog gauge (deliveries), the
# event webhook relay's due deliveries and leases (webhook_deliveries), due campaigns.
POLLED = (
    ("contacts", "contacts"),
    ("feedback", "contact_feedback"),
    ("feedback", "surveys"),
    ("notifications", "deliveries"),
    ("notifications", "webhook_deliveries"),
    ("notifications", "campaigns"),
)
WINDOW_S = float(os.environ.get("BENCH_IDLE_WINDOW_SECONDS", "30"))
SEED_CONTACTS = 20
# What would make a copy do work: an outbox to publish, an SLA to watch, a delivery to send.
# (Deliveries are copied as sent ones, webhook deliveries as delivered, campaigns as launched, as
# most of a real collection is.)
INERT = {"outbox": [], "outbox_pending": False, "sla_next_due_at": None}
INERT_STATE = {"deliveries": "sent", "webhook_deliveries": "delivered", "campaigns": "launched"}
# The events the subscription forwards: every seeded contact's registration and interaction.
WEBHOOK_EVENTS = [
    "rapport.contacts.contact_registered.v2",
    "rapport.contacts.interaction_logged.v2",
]


class DiscardingSmtp:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def listening_pid(port: int) -> int:
    """The process listening on 127.0.0.1:``port`` (the store), found through /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    for pid in _pids():
        try:
            if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
        except OSError:  # another user's process, or gone
            continue
    raise RuntimeError(f"no process of ours listens on port {port}")


def _pids() -> Iterator[int]:
    return (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def busy_share(pids: list[int], seconds: float) -> list[float]:
    """Each process's CPU over ``seconds`` of wall time, as a share of one core."""
    before, started = [cpu_seconds(p) for p in pids], time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    return [(cpu_seconds(p) - b) / elapsed for p, b in zip(pids, before, strict=True)]


async def answer_webhook(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A receiver that takes every POST (204), one per connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    await reader.readexactly(length)
    writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()
    writer.close()


async def subscribe(notifications_url: str, receiver_port: int) -> None:
    """An event webhook subscription: each seeded event becomes a delivery, delivered."""
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    subscription = {"url": f"http://127.0.0.1:{receiver_port}/hook", "event_types": WEBHOOK_EVENTS}
    async with httpx.AsyncClient(base_url=notifications_url, headers=headers, timeout=30) as client:
        (await client.post("/webhooks/subscriptions", json=subscription)).raise_for_status()


async def launch_campaign(notifications_url: str) -> None:
    """One campaign to everyone, due now: launched by the next round."""
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    campaign = {
        "name": "Idle bench",
        "messages": {"en-GB": {"subject": "Hello", "body": "A quiet night."}},
    }
    async with httpx.AsyncClient(base_url=notifications_url, headers=headers, timeout=30) as client:
        (await client.post("/campaigns", json=campaign)).raise_for_status()


async def seed(contacts_url: str) -> None:
    """A few real contacts, each with an interaction: every service writes its documents."""
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    now = datetime.now(UTC).isoformat()
    async with httpx.AsyncClient(base_url=contacts_url, headers=headers, timeout=30) as client:
        for n in range(SEED_CONTACTS):
            profile = {
                "name": f"Idle Contact {n}",
                "email": f"idle{n}@example.org",
                "language": "en-GB",
                "country": "GB",
                "time_zone": "Europe/London",
                "currency": "GBP",
            }
            consent = {"channel": "email", "granted": True, "source": "bench", "changed_at": now}
            created = await client.post(
                "/contacts", json={"profile": profile, "consents": [consent]}
            )
            created.raise_for_status()
            contact_id = created.json()["contact_id"]
            interaction = {"channel": "email", "direction": "inbound", "kind": "inquiry"}
            answer = await client.post(f"/contacts/{contact_id}/interactions", json=interaction)
            answer.raise_for_status()


async def grow(mongo_url: str, prefix: str, size: int) -> int:
    """Every collection a periodic poll reads copied up to ``size`` documents; returns the total.
    (Collections nothing reads while idle cost nothing idle, whatever their size.)"""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url, tz_aware=True)
    total = 0
    try:
        for service, collection_name in POLLED:
            collection = client[f"{prefix.rstrip('.')}_{service}"][collection_name]
            grown = await _grown(collection, size)
            print(f"idle: {service} {collection_name}: {grown:,} documents", flush=True)
            total += grown
    finally:
        await client.close()
    return total


async def _grown(collection: AsyncCollection[dict[str, Any]], size: int) -> int:
    """A collection of documents per contact, survey, delivery or campaign grown to ``size``."""
    have = await collection.count_documents({})
    originals = [d for d in await collection.find().limit(SEED_CONTACTS).to_list() if _copyable(d)]
    n = 0
    while originals and have < size:
        batch = []
        for _ in range(min(size - have, 500) // len(originals) + 1):
            for original in originals:
                n += 1
                copy = {**original, **_inert(original, collection.name)}
                batch.append({**copy, "_id": f"{original['_id']}~{n}"})
        batch = batch[: size - have]
        # A unique index other than _id refuses some copies: fewer, still grown.
        with contextlib.suppress(BulkWriteError):
            await collection.insert_many(batch, ordered=False)
        grown = await collection.count_documents({})
        if grown == have:
            break
        have = grown
    return have


def _copyable(document: dict[str, Any]) -> bool:
    return isinstance(document["_id"], str)


def _inert(document: dict[str, Any], collection: str) -> dict[str, Any]:
    inert = INERT | ({"state": INERT_STATE[collection]} if collection in INERT_STATE else {})
    return {field: value for field, value in inert.items() if field in document}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def idle_rows(stamp: str, logs: Path) -> list[dict[str, object]]:
    """One row per data size: store CPU and the services' CPU, idle, over ``WINDOW_S``."""
    prefix, bootstrap, mongo_url = (
        f"{stamp}idle.",
        addresses.kafka_bootstrap(),
        addresses.mongo_url(),
    )
    smtp_port = free_port()
    smtp = Controller(DiscardingSmtp(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    receiver = await asyncio.start_server(answer_webhook, "127.0.0.1", 0)
    receiver_port = int(receiver.sockets[0].getsockname()[1])
    started = [
        processes.start(
            name,
            prefix=prefix,
            bootstrap=bootstrap,
            mongo_url=mongo_url,
            log_dir=logs,
            extra={"SMTP_PORT": str(smtp_port)},
        )
        for name in SERVICES
    ]
    rows: list[dict[str, object]] = []
    try:
        await subscribe(started[2].url, receiver_port)
        await seed(started[0].url)
        await launch_campaign(started[2].url)
        await asyncio.sleep(10)  # the seed's events consumed, its e-mails and webhooks sent
        store = listening_pid(int(mongo_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]))
        for size in SIZES:
            documents = await grow(mongo_url, prefix, size)
            print(f"idle: {documents:,} documents; measuring {WINDOW_S:.0f} s", flush=True)
            await asyncio.sleep(5)  # past the services' own reaction to the writes
            shares = await busy_share([store, *(s.process.pid for s in started)], WINDOW_S)
            rows.append({"documents": documents, "store": shares[0], "services": shares[1:]})
    finally:
        for service in started:
            service.stop()
        smtp.stop()
        receiver.close()
    return rows


def print_idle(rows: list[dict[str, object]]) -> None:
    print(
        f"\n| idle, {WINDOW_S:.0f} s | documents polled | store CPU (FerretDB) "
        "| services CPU (contacts, feedback, notifications, metrics) |\n|---|---:|---:|---|"
    )
    for row in rows:
        services = ", ".join(f"{s:.1%}" for s in row["services"])  # type: ignore[attr-defined]
        print(f"| no traffic | {row['documents']:,} | {row['store']:.1%} of a core | {services} |")


async def main() -> None:
    logs = Path(tempfile.mkdtemp(prefix="rapport-bench-idle-"))
    print_idle(await idle_rows(f"bench{int(time.time())}", logs))


if __name__ == "__main__":
    asyncio.run(main())
