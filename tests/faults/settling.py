"""Waiting until everything streamed has been processed: consumer groups at the end of their
topics, no delivery open and no outbox entry unpublished; twice in a row, since a published
outbox entry is new input for another group."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from rapport_kit.admin import end_offsets
from tests.faults.fleet import GROUPS, Fleet

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
    lags: dict[str, int] = {}
    for name, bases in GROUPS.items():
        service, consumer = name.split("-")
        prefix = fleet.prefix(service)
        group = f"{prefix}.rapport-{service}-{consumer}"
        topic_names = [f"{prefix}.rapport.{base}.events" for base in bases]
        lags[name] = await group_lag(fleet.infra.kafka_bootstrap, group, topic_names)
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
