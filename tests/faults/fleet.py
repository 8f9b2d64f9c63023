"""The four consumer services as real processes on two topic prefixes, and server restarts.

``metrics`` runs on its own prefix with the metrics dataset (which synthesises the survey and
notification events the KPIs count); ``contacts``, ``feedback`` and ``notifications`` run
together on a second prefix fed only contact events and survey answers, so every
``SurveyRequested`` and ``NotificationSent`` there is produced by a service under test.

Every service runs as ``REPLICAS`` processes, as the manifests deploy it: the same consumer
groups, database and topics, each process on its own HTTP port. A further instance joins and
leaves to force rebalances mid-stream.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from bench import processes
from services.metrics.tests.integration.kpi_dataset import LATE_RATES, RATES
from tests.faults.replay import FATIGUE_CAP, THANK_YOU_CAP
from tests.faults.sla import SLA_BUSINESS_HOURS
from tests.support.infra import REPO, Infrastructure

CRM_SERVICES = ("contacts", "feedback", "notifications")
# Deliveries in flight at once: a kill -9 can leave each of them between the provider's acceptance
# and its record, i.e. `outcome_unknown` (reported, never resent).
DISPATCH_CONCURRENCY = 8
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", "2599"))
REPLICAS = 2  # per service, as deploy/k8s/base runs them (production: 3)
EXTRA_INSTANCE = REPLICAS  # the instance number of the one that joins and leaves
INSTANCE_PORT_STEP = 10  # instance n of a service listens on its port + 10 n
# Four processes start at once after each kill round; on a loaded machine (two cores shared with
# other work) one took more than a minute to answer /readyz.
READY_TIMEOUT = 240
EXTRA = {
    "metrics": {
        "REPORTING_TIME_ZONE": "Europe/Istanbul",
        "EXCHANGE_RATES": json.dumps(
            {
                currency: {day.isoformat(): str(rate) for day, rate in dated.items()}
                for currency, dated in {**RATES, **LATE_RATES}.items()
            }
        ),
    },
    "feedback": {"SURVEY_FATIGUE_CAP": str(FATIGUE_CAP)},
    "contacts": {
        # Days that end at midnight and a live-chat answer due within the run (see ``sla``); the
        # replicas' schedulers look every second, so two or three race for every breach.
        "BUSINESS_DAY_OPENS": "00:00",
        "BUSINESS_DAY_CLOSES": "23:59:59",
        "SLA_BUSINESS_HOURS": json.dumps({"live_chat": SLA_BUSINESS_HOURS}),
        "SLA_CHECK_INTERVAL_SECONDS": "1",
    },
    "notifications": {
        # Equal start and end: no quiet hours, so the wall clock cannot hold messages back.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        # One cap whose outcome no order can change: one thank-you per contact in the run,
        # however many purchases and whichever replica sends (the replay counts as many).
        "FREQUENCY_CAPS": json.dumps({"purchase_thank_you": {"limit": THANK_YOU_CAP, "hours": 24}}),
        # Short, so a killed instance's claims come back soon; long enough that a live peer slowed
        # down by a busy machine keeps its lease through a send.
        "LEASE_SECONDS": "30",
        "UNKNOWN_CONTACT_RETRY_SECONDS": "1",
        "RETRY_FIRST_DELAY_SECONDS": "1",
        "DISPATCH_INTERVAL_SECONDS": "0.5",
        "DISPATCH_CONCURRENCY": str(DISPATCH_CONCURRENCY),
        "SMTP_PORT": str(SMTP_PORT),
    },
}


@dataclass
class Fleet:
    infra: Infrastructure
    namespace: str
    logs: Path
    # (service, instance) → its process; instances 0 … REPLICAS - 1, and EXTRA_INSTANCE at times.
    running: dict[tuple[str, int], processes.ServiceProcess] = field(default_factory=dict)
    kills: Counter[tuple[str, int]] = field(default_factory=Counter)
    # Consumer group → the (prefixed) topics it reads, as the services' /asyncapi.json say.
    groups: dict[str, set[str]] = field(default_factory=dict)

    def prefix(self, service: str) -> str:
        return f"{self.namespace}{'m' if service == 'metrics' else 'c'}"

    def database(self, service: str) -> str:
        return f"{self.prefix(service)}_{service}"

    def start(self, service: str, instance: int = 0) -> None:
        logs = self.logs / f"instance-{instance}"  # one log per instance, across its restarts
        logs.mkdir(parents=True, exist_ok=True)
        self.running[(service, instance)] = processes.start(
            service,
            prefix=f"{self.prefix(service)}.",
            bootstrap=self.infra.kafka_bootstrap,
            mongo_url=self.infra.mongo_url,
            log_dir=logs,
            extra={"CONSUMER_BATCH_SIZE": "200", "TOPIC_PARTITIONS": "3", **EXTRA.get(service, {})},
            port=processes.PORTS[service] + INSTANCE_PORT_STEP * instance,
            ready_timeout=READY_TIMEOUT,
        )

    def process(self, service: str, instance: int = 0) -> processes.ServiceProcess:
        return self.running[(service, instance)]

    def urls(self, service: str) -> list[str]:
        return [p.url for (name, _), p in sorted(self.running.items()) if name == service]

    async def start_all(self, services: tuple[str, ...]) -> None:
        """``REPLICAS`` instances of each service, then the groups they declare."""
        await self._each(self.start, [(s, n) for s in services for n in range(REPLICAS)])
        async with httpx.AsyncClient(timeout=30) as client:
            for service in services:
                document = (await client.get(f"{self.urls(service)[0]}/asyncapi.json")).json()
                for group, topic in receives(document):
                    self.groups.setdefault(group, set()).add(topic)

    def kill_and_restart(self, service: str, instance: int) -> None:
        """``kill -9`` mid-stream (no shutdown hook runs), then a fresh process."""
        self.running[(service, instance)].kill()
        self.kills[(service, instance)] += 1
        self.start(service, instance)

    async def kill_one_of_each(self, instance: int) -> str:
        """Instance ``instance`` of every service killed and restarted, concurrently (each start
        waits for /readyz); its peers keep consuming meanwhile."""
        services = sorted({name for name, _ in self.running})
        await self._each(self.kill_and_restart, [(s, instance) for s in services])
        return f"kill -9 of instance {instance} of " + ", ".join(services)

    async def extra_joins(self) -> str:
        """One more instance of every service: each group rebalances to one more member."""
        services = sorted({name for name, _ in self.running})
        before = await members(self.infra.kafka_bootstrap, self.groups)
        await self._each(self.start, [(s, EXTRA_INSTANCE) for s in services])
        after = await self._membership(REPLICAS + 1)
        return f"instance {EXTRA_INSTANCE} of every service started: {rebalanced(before, after)}"

    async def extra_leaves(self) -> str:
        """The extra instances stopped (SIGTERM, a scale-down): every group rebalances again."""
        extras = [key for key in self.running if key[1] == EXTRA_INSTANCE]
        before = await members(self.infra.kafka_bootstrap, self.groups)
        await asyncio.gather(*(asyncio.to_thread(self.running.pop(k).terminate) for k in extras))
        after = await self._membership(REPLICAS)
        return f"instance {EXTRA_INSTANCE} of every service stopped: {rebalanced(before, after)}"

    async def _membership(self, expected: int, timeout: float = 180) -> dict[str, int]:
        """Wait until every group has ``expected`` members (a killed member has timed out, the
        rebalance is over)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = await members(self.infra.kafka_bootstrap, self.groups)
            if all(found[g] == expected for g in self.groups):
                return found
            assert asyncio.get_running_loop().time() < deadline, f"no rebalance: {found}"
            await asyncio.sleep(0.5)

    @staticmethod
    async def _each(step: Callable[[str, int], None], keys: list[tuple[str, int]]) -> None:
        """``step`` for every key at once; the first failure raised once all are done, so every
        process started is in ``running`` (and stopped at the end)."""
        outcomes = await asyncio.gather(
            *(asyncio.to_thread(step, *key) for key in keys), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def kills_of(self, service: str) -> int:
        return sum(n for (name, _), n in self.kills.items() if name == service)

    def stop(self) -> None:
        for service in self.running.values():
            if service.process.poll() is None:
                service.stop()


def receives(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(group, topic) of every receive operation of a service's AsyncAPI document."""
    found = []
    for operation in document["operations"].values():
        if operation["action"] == "receive":
            channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
            group = operation["bindings"]["kafka"]["groupId"]["enum"][0]
            found.append((group, document["channels"][channel]["address"]))
    return found


async def members(bootstrap: str, groups: Iterable[str]) -> dict[str, int]:
    """The number of members of each consumer group, as the group coordinator knows them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    found: dict[str, int] = {}
    try:
        # One group per request: aiokafka 0.14 misreads a DescribeGroups answer naming several
        # (a buffer underrun, and the connection closes).
        for group in groups:
            [response] = await admin.describe_consumer_groups([group])
            # Each entry: (error, group id, state, protocol type, protocol, members, …).
            found.update({entry[1]: len(entry[5]) for entry in response.groups})
    finally:
        await admin.close()
    return found


def rebalanced(before: dict[str, int], after: dict[str, int]) -> str:
    """``2 → 3 members in all 7 groups`` (or each group's own change, should they differ)."""
    changes = {f"{before[g]} → {after[g]}" for g in after}
    if len(changes) == 1:
        return f"{changes.pop()} members in all {len(after)} consumer groups"
    return ", ".join(f"{g} {before[g]} → {after[g]}" for g in sorted(after))


def restart_server(infra: Infrastructure, script: str) -> None:
    """Stop and start the server this test uses; the scripts read the same port variables, so
    refuse if they would address another server than ``infra`` (e.g. someone else's 9092)."""
    port = {"kafka.sh": "RAPPORT_KAFKA_PORT", "ferretdb.sh": "RAPPORT_MONGO_PORT"}[script]
    default = {"kafka.sh": "9092", "ferretdb.sh": "27017"}[script]
    address = infra.kafka_bootstrap if script == "kafka.sh" else infra.mongo_url
    assert f":{os.environ.get(port, default)}" in address, (script, address)
    for command in ("stop", "start"):
        subprocess.run(
            ["bash", str(REPO / "deploy/local" / script), command], check=True, capture_output=True
        )
