"""Run: ``make bench`` (or ``python -m bench``). Prints a table; nothing here is a test.

1. baseline: raw aiokafka getmany + PyMongo bulk_write over the same dataset;
2. each service's real consumer path, one service at a time, as a real process;
   with 1 and then 2 instances in each consumer group (``BENCH_INSTANCES``);
3. end-to-end latency from an HTTP call on contacts to the metrics read model;
4. resident memory of each service after its load;
5. contacts' HTTP path under a burst, with 1 and 2 instances (``bench/http_burst.py``), and the
   store round trips of each kind of request (``bench/http_profile.py``);
6. the store's CPU while the four services run idle, at two data sizes (``bench/idle.py``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiosmtpd.controller import Controller

from bench import addresses, latency, processes
from bench.baseline import run_baseline
from bench.dataset import contact_events
from bench.http_burst import burst_row, print_bursts
from bench.http_profile import print_profile, profile
from bench.idle import idle_rows, print_idle
from bench.lag import wait_caught_up
from bench.produce import produce_all
from rapport_schemas import topics

REPO = Path(__file__).resolve().parents[1]
BOOTSTRAP = addresses.kafka_bootstrap()
MONGO_URL = addresses.mongo_url()
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
CONSUMING_SERVICES = ("contacts", "feedback", "notifications", "metrics")
# Instances per consumer group in the scale-out rows (each service's groups with 1, then 2).
SCALE_OUT = tuple(int(n) for n in os.environ.get("BENCH_INSTANCES", "1,2").split(","))


class DiscardingSmtp:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


async def main() -> None:
    for script in ("kafka.sh", "ferretdb.sh"):
        subprocess.run(["bash", str(REPO / "deploy/local" / script), "start"], check=True)
    stamp = f"bench{int(time.time())}"
    dataset = list(
        contact_events(contacts=max(1, EVENTS // 10), interactions=EVENTS - EVENTS // 10)
    )
    logs = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    print(f"bench: {len(dataset):,} events; service logs in {logs}")
    rows = [await baseline_row(stamp, dataset)]
    smtp_port = int(os.environ.get("BENCH_SMTP_PORT", "2526"))  # where the services send
    smtp = Controller(DiscardingSmtp(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        for service in CONSUMING_SERVICES:
            for instances in SCALE_OUT:
                rows.extend(await service_rows(service, stamp, dataset, logs, instances=instances))
        print_table(rows, {})
        latencies = await end_to_end(stamp, logs, rows)
    finally:
        smtp.stop()
    bursts = [await burst_row(stamp, logs, instances=n) for n in SCALE_OUT]
    print_bursts(bursts)
    round_trips, profiled_events = await profile()
    idle = await idle_rows(stamp, logs)
    print_table(rows, latencies)
    print_bursts(bursts)
    print_profile(round_trips, profiled_events)
    print_idle(idle)


async def baseline_row(stamp: str, dataset: list[tuple[bytes, bytes]]) -> dict[str, object]:
    topic = f"{stamp}.baseline"
    await produce_all(BOOTSTRAP, topic, dataset)
    rate = await run_baseline(BOOTSTRAP, topic, MONGO_URL, f"{stamp}_baseline", len(dataset))
    return {
        "path": "baseline: aiokafka getmany + bulk_write",
        "instances": 1,
        "events_per_s": rate,
        "rss_mb": None,
    }


async def service_rows(
    service: str, stamp: str, dataset: list[tuple[bytes, bytes]], logs: Path, *, instances: int = 1
) -> list[dict[str, object]]:
    """The service's consumer groups over ``dataset`` with ``instances`` processes in each group
    (a second one on its own port: the same groups, database and topics)."""
    prefix = f"{stamp}{service}{instances}."
    started = [
        processes.start(
            service,
            prefix=prefix,
            bootstrap=BOOTSTRAP,
            mongo_url=MONGO_URL,
            log_dir=logs,
            port=processes.PORTS[service] + 10 * n,
        )
        for n in range(instances)
    ]
    try:
        await _groups_joined(f"{prefix}rapport-{service}-")
        begun = time.perf_counter()
        await produce_all(BOOTSTRAP, f"{prefix}{topics.CONTACTS}", dataset)
        times = await wait_caught_up(
            BOOTSTRAP, f"{prefix}{topics.CONTACTS}", f"{prefix}rapport-{service}-", started=begun
        )
        rss = max(process.rss_mb() for process in started)
    finally:
        for process in started:
            process.stop()
    return [
        {
            "path": f"{service}: {group.removeprefix(prefix)}",
            "instances": instances,
            "events_per_s": len(dataset) / seconds,
            "rss_mb": rss,
        }
        for group, seconds in sorted(times.items())
    ]


async def _groups_joined(group_prefix: str, timeout: float = 30) -> None:
    """Wait until the service's consumer groups exist (aiokafka 0.14 cannot decode Kafka 4.4's
    DescribeGroups reply, so the group state is not read), then give the join a moment."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            groups = [
                g[0] for g in await admin.list_consumer_groups() if g[0].startswith(group_prefix)
            ]
            if groups:
                await asyncio.sleep(2)
                return
            await asyncio.sleep(0.3)
        raise TimeoutError(f"no consumer group {group_prefix}* after {timeout} s")
    finally:
        await admin.close()


async def end_to_end(
    stamp: str, logs: Path, rows: list[dict[str, object]]
) -> dict[str, list[float]]:
    prefix = f"{stamp}e2e."
    started = [
        processes.start(name, prefix=prefix, bootstrap=BOOTSTRAP, mongo_url=MONGO_URL, log_dir=logs)
        for name in ("contacts", "metrics")
    ]
    try:
        await _groups_joined(f"{prefix}rapport-metrics-")
        contacts, metrics = (s.url for s in started)
        headers = {"Authorization": f"Bearer {processes.API_KEY}"}
        metrics_rate = max(
            float(str(r["events_per_s"]))
            for r in rows
            if str(r["path"]).startswith("metrics") and r["instances"] == 1
        )
        # Warm-up, not measured: first calls pay for imports, caches and connection setup.
        warm_up = latency.FIRST_DAY.replace(year=2019)
        await latency.measure(contacts, metrics, headers, rate=5, count=10, first_day=warm_up)
        low = await latency.measure(
            contacts, metrics, headers, rate=5, count=100, first_day=latency.FIRST_DAY
        )
        half_rate = min(metrics_rate / 2, 200)
        half = await latency.measure(
            contacts,
            metrics,
            headers,
            rate=half_rate,
            count=300,
            first_day=latency.FIRST_DAY.replace(year=2021),
        )
        return {"low load (5/s)": low, f"half of max ({half_rate:.0f}/s)": half}
    finally:
        for service in started:
            service.stop()


def print_table(rows: list[dict[str, object]], latencies: dict[str, list[float]]) -> None:
    baseline = float(str(rows[0]["events_per_s"]))
    print(
        "\n| consumer path | instances | events/s | vs baseline | RSS MB (largest) |"
        "\n|---|---:|---:|---:|---:|"
    )
    for row in rows:
        rate = float(str(row["events_per_s"]))
        rss = f"{row['rss_mb']:.0f}" if row["rss_mb"] is not None else "–"
        share = f"{rate / baseline:.0%}"
        print(f"| {row['path']} | {row['instances']} | {rate:,.0f} | {share} | {rss} |")
    print(
        "\n| end to end (HTTP → metrics read model) | p50 ms | p95 ms | p99 ms | n |"
        "\n|---|---:|---:|---:|---:|"
    )
    for name, values in latencies.items():
        p50, p95, p99 = (latency.percentile(values, f) for f in (0.5, 0.95, 0.99))
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {len(values)} |")


if __name__ == "__main__":
    asyncio.run(main())
