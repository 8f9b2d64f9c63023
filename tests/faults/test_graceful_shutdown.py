"""SIGTERM mid-stream, then a restart: zero redeliveries that change anything.

The contacts service folds the crm dataset into its 360° view; while its consumer group is still
behind, the process gets SIGTERM (what a platform sends), must exit cleanly, and a new process
catches up. Then: every view equals the independent replay (purchase counts and lifetime values
would be off if an event were folded twice), and the restarted process recognised no
already-applied event at all (``rapport_duplicate_events_total`` is 0: nothing was redelivered,
not even harmlessly), i.e. the graceful shutdown finished and committed the batch in hand.
"""

from __future__ import annotations

import asyncio
import re
import signal
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from bench import processes
from services.metrics.tests.integration.kpi_dataset import generate
from services.metrics.tests.integration.test_kpis_end_to_end import publish
from tests.faults.check_views import check_views
from tests.faults.crm_dataset import crm_dataset
from tests.faults.fleet import Fleet
from tests.faults.replay import replay
from tests.faults.settling import group_lag
from tests.support.infra import Infrastructure

pytestmark = pytest.mark.faults

TOPICS = ["contacts", "feedback", "notifications"]


async def view_lag(fleet: Fleet) -> int:
    prefix = fleet.prefix("contacts")
    names = [f"{prefix}.rapport.{base}.events" for base in TOPICS]
    return await group_lag(fleet.infra.kafka_bootstrap, f"{prefix}.rapport-contacts-view", names)


async def terminate_mid_stream(fleet: Fleet, total: int) -> int:
    """SIGTERM once the group committed something but not everything; the lag left then."""
    while (await view_lag(fleet)) == total:
        await asyncio.sleep(0.05)
    exit_code = fleet.process("contacts").terminate()
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status reports it.
    assert exit_code == -signal.SIGTERM
    return await view_lag(fleet)


async def caught_up(fleet: Fleet) -> None:
    while await view_lag(fleet):
        await asyncio.sleep(0.2)


async def duplicates_counted(url: str) -> float:
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        text = (await client.get("/metrics")).text
    found = re.findall(r'rapport_duplicate_events_total\{consumer="view"\} (\S+)', text)
    assert found, "the view consumer exports its duplicates counter"
    return float(found[0])


async def test_sigterm_mid_stream_then_restart_changes_nothing_twice(
    infra: Infrastructure, namespace: str
) -> None:
    crm = crm_dataset(generate(contacts=90, scale=2))
    fleet = Fleet(infra, namespace, Path(tempfile.mkdtemp(prefix="rapport-sigterm-")))
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    try:
        fleet.start("contacts")
        streamed = crm.contacts + crm.activity
        await publish(infra.kafka_bootstrap, fleet.prefix("contacts"), streamed)
        left = await terminate_mid_stream(fleet, len(streamed))
        assert 0 < left < len(streamed)
        fleet.start("contacts")
        await caught_up(fleet)
        # Merges last, as in production: after the absorbed contact's answers (another topic).
        await publish(infra.kafka_bootstrap, fleet.prefix("contacts"), crm.closing)
        await caught_up(fleet)
        db = mongo[fleet.database("contacts")]
        checked = await check_views(db, replay(crm), Counter())
        assert await duplicates_counted(fleet.process("contacts").url) == 0
    finally:
        fleet.stop()
        await mongo.drop_database(fleet.database("contacts"))
        await mongo.close()
    print(
        f"\nsigterm: {len(crm.events)} events, SIGTERM with {left} left to consume, graceful exit; "
        f"{checked} views equal the replay, 0 duplicates redelivered"
    )
