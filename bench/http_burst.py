"""Contacts' HTTP path under a burst: ``BURST_REQUESTS`` registrations offered at ``BURST_RATE``/s
(open loop: each request leaves on schedule whether or not the earlier ones have answered), to one
contacts process and then to two (requests alternate between them, as a load balancer would).

Per row: the rate the answers came back at, their latency, the answers that were not 201, and how
long after the last answer the service's own consumer groups had read everything the burst
published (the consumers keeping up, or not). Run alone: ``python -m bench.http_burst``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench import addresses, latency, processes
from bench.lag import wait_caught_up
from rapport_schemas import topics

BURST_REQUESTS = int(os.environ.get("BENCH_BURST_REQUESTS", "2000"))
BURST_RATE = float(os.environ.get("BENCH_BURST_RATE", "200"))
BOOTSTRAP = addresses.kafka_bootstrap()
MONGO_URL = addresses.mongo_url()


async def burst_row(stamp: str, logs: Path, *, instances: int) -> dict[str, object]:
    prefix = f"{stamp}burst{instances}."
    started = [
        processes.start(
            "contacts",
            prefix=prefix,
            bootstrap=BOOTSTRAP,
            mongo_url=MONGO_URL,
            log_dir=logs,
            port=processes.PORTS["contacts"] + 20 + n,
        )
        for n in range(instances)
    ]
    try:
        headers = {"Authorization": f"Bearer {processes.API_KEY}"}
        # As many connections as requests in flight (a pool of 400 made requests wait for a
        # connection longer than the timeout once answers took seconds: counted as no answer).
        limits = httpx.Limits(max_connections=BURST_REQUESTS, max_keepalive_connections=400)
        timeout = httpx.Timeout(120, pool=None)
        async with httpx.AsyncClient(headers=headers, timeout=timeout, limits=limits) as client:
            for n, service in enumerate(started):  # warm-up, not measured
                warm = (_register(client, service.url, f"w{n}.{i}") for i in range(20))
                await asyncio.gather(*warm)
            answers = await _offer(client, [s.url for s in started], stamp)
        done = time.perf_counter()
        caught_up = await wait_caught_up(
            BOOTSTRAP, f"{prefix}{topics.CONTACTS}", f"{prefix}rapport-contacts-", started=done
        )
    finally:
        for service in started:
            service.stop()
    first_sent = min(sent for sent, _, _ in answers)
    last_done = max(sent + seconds for sent, seconds, _ in answers)
    latencies = sorted(seconds * 1000 for _, seconds, _ in answers)
    return {
        "instances": instances,
        "offered": BURST_RATE,
        "answered_per_s": len(answers) / (last_done - first_sent),
        "p50": latency.percentile(latencies, 0.5),
        "p99": latency.percentile(latencies, 0.99),
        "not_201": _other_answers(answers),
        "consumers_after_s": max(caught_up.values()),
    }


async def _offer(
    client: httpx.AsyncClient, urls: list[str], stamp: str
) -> list[tuple[float, float, int]]:
    """(sent at, seconds to the answer, status) of each request of the burst."""

    async def timed(index: int) -> tuple[float, float, int]:
        sent = time.perf_counter()
        status = await _register(client, urls[index % len(urls)], f"{stamp}.{index}")
        return sent, time.perf_counter() - sent, status

    begun, calls = time.perf_counter(), []
    for index in range(BURST_REQUESTS):
        await asyncio.sleep(max(0.0, begun + index / BURST_RATE - time.perf_counter()))
        calls.append(asyncio.create_task(timed(index)))
    return list(await asyncio.gather(*calls))


async def _register(client: httpx.AsyncClient, url: str, tag: str) -> int:
    profile = {
        "name": "Bench Burst",
        "email": f"burst{tag}@example.com",
        "language": "en",
        "time_zone": "UTC",
        "country": "GB",
        "currency": "GBP",
    }
    try:
        return (await client.post(f"{url}/contacts", json={"profile": profile})).status_code
    except httpx.HTTPError:
        return 0  # no answer at all (a timeout, a reset): counted as not 201


def _other_answers(answers: list[tuple[float, float, int]]) -> str:
    """The answers that were not 201, by status (0: none came), e.g. "0" or "6 (409 ×6)"."""
    others: dict[int, int] = {}
    for _, _, status in answers:
        if status != 201:
            others[status] = others.get(status, 0) + 1
    if not others:
        return "0"
    detail = ", ".join(f"{status} ×{count}" for status, count in sorted(others.items()))
    return f"{sum(others.values())} ({detail})"


def print_bursts(rows: list[dict[str, object]]) -> None:
    print(
        f"\n| contacts HTTP, {BURST_REQUESTS:,} registrations offered at {BURST_RATE:.0f}/s "
        "| instances | answered/s | p50 ms | p99 ms | not 201 | consumers caught up after |"
        "\n|---|---:|---:|---:|---:|---:|---:|"
    )
    for row in rows:
        print(
            f"| | {row['instances']} | {row['answered_per_s']:,.0f} | {row['p50']:,.0f} "
            f"| {row['p99']:,.0f} | {row['not_201']} | {row['consumers_after_s']:.1f} s |"
        )


async def main() -> None:
    logs = Path(tempfile.mkdtemp(prefix="rapport-bench-burst-"))
    stamp = f"bench{int(time.time())}"
    print_bursts([await burst_row(stamp, logs, instances=n) for n in (1, 2)])


if __name__ == "__main__":
    asyncio.run(main())
