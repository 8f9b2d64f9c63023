"""How long consumer groups take to reach the end of a topic."""

from __future__ import annotations

import asyncio
import time

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from rapport_kit.admin import end_offsets


async def wait_caught_up(
    bootstrap: str, topic: str, group_prefix: str, *, started: float, timeout: float = 600
) -> dict[str, float]:
    """Seconds from ``started`` until each ``group_prefix…`` group committed the topic's end."""
    ends = await end_offsets(bootstrap, [topic])
    finished: dict[str, float] = {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while time.perf_counter() - started < timeout:
            groups = [
                g[0] for g in await admin.list_consumer_groups() if g[0].startswith(group_prefix)
            ]
            for group in groups:
                if group not in finished and await _caught_up(admin, group, ends):
                    finished[group] = time.perf_counter() - started
            if groups and len(finished) == len(groups):
                return finished
            await asyncio.sleep(0.1)
        raise TimeoutError(f"groups not caught up on {topic}: {set(groups) - set(finished)}")
    finally:
        await admin.close()


async def _caught_up(
    admin: AIOKafkaAdminClient, group: str, ends: dict[TopicPartition, int]
) -> bool:
    committed = await admin.list_consumer_group_offsets(group)
    relevant = {p: m for p, m in committed.items() if p in ends}
    if not any(ends.values()):
        return True
    return all(
        relevant.get(p) is not None and relevant[p].offset >= end for p, end in ends.items() if end
    )
