"""Waiting until everything streamed has been processed: every consumer group the services
declare at the end of its topics, no delivery open, no outbox entry unpublished and no SLA clock
past its deadline unbreached; twice in a row, since a published outbox entry is new input for
another group."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from rapport_kit.admin import end_offsets
from tests.faults.fleet import Fleet

OPEN = {"state": {"$in": ["pending", "claimed", "sending", "scheduled"]}}
OUTBOXES = {"contacts": ["contacts"], "feedback": ["contact_feedback", "surveys"]}


async def group_lag(bootstrap: str, group: str, topic_names: list[str]) -> int:
    ends = await end_offsets(bootstrap, topic_names)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(
        max(0, end - (committed[p].offset if p in committed else 0)) for p, end in ends.items()
    )


async def lag(fleet: Fleet) -> dict[str, int]:
    """Per consumer group (its name without the prefix), the records it has still to commit."""
    lags: dict[str, int] = {}
    for group, topic_names in sorted(fleet.groups.items()):
        name = group.split(".", 1)[1].removeprefix("rapport-")
        lags[name] = await group_lag(fleet.infra.kafka_bootstrap, group, sorted(topic_names))
    return lags


async def open_work(fleet: Fleet, mongo: AsyncMongoClient[dict[str, Any]]) -> dict[str, Any]:
    """What is still to do in the stores: open deliveries (by state) and unpublished outboxes."""
    work: dict[str, Any] = {}
    deliveries = mongo[fleet.database("notifications")]["deliveries"]
    async for open_one in deliveries.find({"$or": [OPEN, {"outbox_pending": True}]}):
        name = f"deliveries {open_one.get('state')}"
        if open_one.get("outbox_pending"):
            name += " (outbox pending)"
        work[name] = work.get(name, 0) + 1
    for service, collections in OUTBOXES.items():
        for name in collections:
            collection = mongo[fleet.database(service)][name]
            pending = await collection.count_documents({"outbox_pending": True})
            if pending:
                work[f"{service}.{name} outbox pending"] = pending
    # The schedulers' own query: a clock past its deadline not yet breached (sla.py).
    overdue = {"sla_next_due_at": {"$lte": datetime.now(UTC)}, "status": "active"}
    clocks = await mongo[fleet.database("contacts")]["contacts"].count_documents(overdue)
    if clocks:
        work["contacts overdue SLA clocks"] = clocks
    return work


async def settled(fleet: Fleet, mongo: AsyncMongoClient[dict[str, Any]], timeout: float) -> None:
    deadline, quiet = time.monotonic() + timeout, 0
    lags: dict[str, int] = {}
    work: dict[str, Any] = {}
    while quiet < 2:
        try:
            lags, work = await lag(fleet), await open_work(fleet, mongo)
            pending = sum(lags.values()) + sum(work.values())
        except Exception:  # a server restarting: ask again
            pending = -1
        quiet = quiet + 1 if pending == 0 else 0
        assert time.monotonic() < deadline, f"not settled after {timeout} s: {lags}, {work}"
        await asyncio.sleep(1)
