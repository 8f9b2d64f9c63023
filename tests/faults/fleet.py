"""The four consumer services as real processes on two topic prefixes, and server restarts.

``metrics`` runs on its own prefix with the metrics dataset (which synthesises the survey and
notification events the KPIs count); ``contacts``, ``feedback`` and ``notifications`` run
together on a second prefix fed only contact events and survey answers, so every
``SurveyRequested`` and ``NotificationSent`` there is produced by a service under test.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import processes
from services.metrics.tests.integration.kpi_dataset import LATE_RATES, RATES
from tests.faults.replay import FATIGUE_CAP
from tests.support.infra import REPO, Infrastructure

CRM_SERVICES = ("contacts", "feedback", "notifications")
# Deliveries in flight at once: a kill -9 can leave each of them between the provider's acceptance
# and its record, i.e. `outcome_unknown` (reported, never resent).
DISPATCH_CONCURRENCY = 8
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", "2599"))
# Consumer groups (``rapport-<service>-<consumer>``) and the base topics each one reads.
GROUPS = {
    "metrics-kpis": ("contacts", "feedback", "notifications"),
    "contacts-view": ("contacts", "feedback", "notifications"),
    "feedback-surveys": ("contacts", "notifications"),
    "feedback-views": ("feedback", "contacts"),
    "notifications-triggers": ("contacts", "feedback"),
}
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
    "notifications": {
        # Equal start and end: no quiet hours, so the wall clock cannot hold messages back.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        # No frequency caps: every trigger earns its message, whatever order sends them in.
        "FREQUENCY_CAPS": "{}",
        "LEASE_SECONDS": "10",
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
    running: dict[str, processes.ServiceProcess] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)

    def prefix(self, service: str) -> str:
        return f"{self.namespace}{'m' if service == 'metrics' else 'c'}"

    def database(self, service: str) -> str:
        return f"{self.prefix(service)}_{service}"

    def start(self, service: str) -> None:
        self.running[service] = processes.start(
            service,
            prefix=f"{self.prefix(service)}.",
            bootstrap=self.infra.kafka_bootstrap,
            mongo_url=self.infra.mongo_url,
            log_dir=self.logs,
            extra={"CONSUMER_BATCH_SIZE": "200", "TOPIC_PARTITIONS": "3", **EXTRA.get(service, {})},
        )

    def kill_and_restart(self, service: str) -> None:
        """``kill -9`` mid-stream (no shutdown hook runs), then a fresh process."""
        self.running[service].kill()
        self.kills[service] += 1
        self.start(service)

    async def kill_all(self) -> None:
        """Every service killed and restarted, concurrently (each start waits for /readyz)."""
        await asyncio.gather(
            *(asyncio.to_thread(self.kill_and_restart, s) for s in list(self.running))
        )

    def stop(self) -> None:
        for service in self.running.values():
            if service.process.poll() is None:
                service.stop()


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
