"""Fault injection: the metrics consumer is ``kill -9``-ed mid-stream and restarted repeatedly, the
Kafka broker is restarted once and the MongoDB-wire server once; afterwards every KPI equals an
independent computation over the dataset: nothing lost, nothing counted twice.

``RAPPORT_FAULT_CONTACTS`` scales the dataset (default 90 contacts ≈ 2,400 events for CI)
and ``RAPPORT_FAULT_SCALE`` the activity; ``make faults`` runs ≈ 50,000 events.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from bench import processes
from services.metrics.tests.integration.kpi_dataset import RATES, generate
from services.metrics.tests.integration.kpi_expected import Expected
from services.metrics.tests.integration.test_kpis_end_to_end import caught_up, check_http, publish
from tests.support.infra import REPO, Infrastructure
from tests.support.kafka import eventually

pytestmark = pytest.mark.faults

CONTACTS = int(os.environ.get("RAPPORT_FAULT_CONTACTS", "90"))
SCALE = int(os.environ.get("RAPPORT_FAULT_SCALE", "1"))
KILLS = 3


def restart(script: str) -> None:
    for command in ("stop", "start"):
        subprocess.run(
            ["bash", str(REPO / "deploy/local" / script), command], check=True, capture_output=True
        )


async def drop(mongo_url: str, database: str) -> None:
    """Clean up with a new client: the server restart closed the old client's pooled sockets."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    try:
        await client.drop_database(database)
    finally:
        await client.close()


async def caught_up_eventually(
    bootstrap: str, group: str, namespace: str, rounds: int = 10
) -> bool:
    """Up to ten times the single wait: the full-size dataset takes minutes on this store."""
    for _ in range(rounds):
        if await caught_up(bootstrap, group, namespace):
            return True
    return False


class Metrics:
    """The metrics service as a process that can be killed and started again."""

    def __init__(self, infra: Infrastructure, namespace: str) -> None:
        self.infra, self.namespace = infra, namespace
        self.logs = Path(tempfile.mkdtemp(prefix="rapport-faults-"))
        self.extra = {
            "REPORTING_TIME_ZONE": "Europe/Istanbul",
            "CONSUMER_BATCH_SIZE": "200",
            "EXCHANGE_RATES": json.dumps({k: str(v) for k, v in RATES.items()}),
        }
        self.process = self.start()

    def start(self) -> processes.ServiceProcess:
        return processes.start(
            "metrics",
            prefix=f"{self.namespace}.",
            bootstrap=self.infra.kafka_bootstrap,
            mongo_url=self.infra.mongo_url,
            log_dir=self.logs,
            extra=self.extra,
        )


async def test_kpis_survive_kills_and_server_restarts(
    infra: Infrastructure, namespace: str
) -> None:
    dataset = generate(contacts=CONTACTS, scale=SCALE)
    expected = Expected(dataset)
    service = Metrics(infra, namespace)
    group = f"{namespace}.rapport-metrics-kpis"
    log: list[str] = []
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        await publish(infra.kafka_bootstrap, namespace, dataset.contacts)
        # Segments come from the directory as it stands when an event is applied; survey events
        # travel on another topic than registrations, so the dataset's contacts go in first.
        directory = mongo[f"{namespace}_metrics"]["directory"]
        registered = await eventually(
            lambda: directory.count_documents({}), expected=len(dataset.contacts), timeout=120
        )
        assert registered == len(dataset.contacts)
        await publish(infra.kafka_bootstrap, namespace, dataset.activity)
        for kill in range(KILLS):
            await asyncio.sleep(2 + kill)
            service.process.kill()
            log.append(f"kill -9 #{kill + 1}")
            service.process = service.start()
        restart("kafka.sh")
        log.append("kafka broker restarted")
        await asyncio.sleep(3)
        restart("ferretdb.sh")
        log.append("ferretdb restarted")
        assert await caught_up_eventually(infra.kafka_bootstrap, group, namespace)
        await publish(infra.kafka_bootstrap, namespace, dataset.closing)
        assert await caught_up(infra.kafka_bootstrap, group, namespace)
        headers = {"Authorization": f"Bearer {processes.API_KEY}"}
        async with httpx.AsyncClient(
            base_url=service.process.url, headers=headers, timeout=30
        ) as client:
            await check_http(client, expected)
    finally:
        service.process.stop()
        await mongo.close()
        await drop(infra.mongo_url, f"{namespace}_metrics")
    events = len(dataset.contacts) + len(dataset.activity) + len(dataset.closing)
    print(
        f"\nfaults: {events} events; {'; '.join(log)}; every KPI equals the independent computation"
    )
