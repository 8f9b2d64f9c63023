"""End-to-end latency: an HTTP call on contacts until the metrics read model shows its effect.

Each call logs a complaint on its own (past) day, so the moment that day's ``complaint_rate``
window appears in the metrics service identifies exactly that call's arrival.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

import httpx

FIRST_DAY = date(2020, 1, 1)


async def measure(
    contacts_url: str,
    metrics_url: str,
    headers: dict[str, str],
    *,
    rate: float,
    count: int,
    first_day: date,
) -> list[float]:
    """Send ``count`` calls at ``rate``/s; return each call's latency in milliseconds."""
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        # One contact per call: calls on one contact serialise on its document (409 when raced).
        contacts = [await _contact(client, contacts_url, i) for i in range(count)]
        sent: dict[date, float] = {}
        seen: dict[date, float] = {}
        watcher = asyncio.create_task(_watch(client, metrics_url, first_day, count, seen))
        calls = []
        for index in range(count):
            day = first_day + timedelta(days=index)
            sent[day] = time.perf_counter()
            call = _log_complaint(client, contacts_url, contacts[index], day)
            calls.append(asyncio.create_task(call))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*calls)
        await asyncio.wait_for(watcher, timeout=120)
    return sorted((seen[day] - sent[day]) * 1000 for day in sent)


async def _contact(client: httpx.AsyncClient, contacts_url: str, index: int) -> str:
    suffix = f"{time.time_ns()}.{index}"
    response = await client.post(
        f"{contacts_url}/contacts",
        json={
            "profile": {
                "name": "Bench Latency",
                "email": f"latency{suffix}@example.com",
                "language": "en",
                "time_zone": "UTC",
                "country": "GB",
                "currency": "GBP",
            }
        },
    )
    response.raise_for_status()
    return str(response.json()["contact_id"])


async def _log_complaint(client: httpx.AsyncClient, url: str, contact: str, day: date) -> None:
    occurred = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()
    response = await client.post(
        f"{url}/contacts/{contact}/interactions",
        json={
            "channel": "email",
            "direction": "inbound",
            "kind": "complaint",
            "occurred_at": occurred,
        },
    )
    response.raise_for_status()


async def _watch(
    client: httpx.AsyncClient,
    metrics_url: str,
    first_day: date,
    count: int,
    seen: dict[date, float],
) -> None:
    last_day = first_day + timedelta(days=count - 1)
    params = {"window": "day", "from": first_day.isoformat(), "to": last_day.isoformat()}
    while len(seen) < count:
        response = await client.get(f"{metrics_url}/kpis/complaint_rate", params=params)
        now = time.perf_counter()
        for point in response.json():
            seen.setdefault(date.fromisoformat(point["window_start"]), now)
        await asyncio.sleep(0.005)  # resolution vs. the load the polling itself puts on the service


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]
