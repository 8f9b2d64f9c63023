"""``rapport-ops topics``: every topic with its size, and every consumer group's lag."""

from __future__ import annotations

from aiokafka import TopicPartition
from rich.console import Console
from rich.table import Table

from rapport_kit.admin import end_offsets
from rapport_ops.connection import Target
from rapport_ops.kafka_io import admin_client, total


async def show_topics(target: Target, console: Console) -> None:
    """This deployment's topics and groups: with a prefix, only that namespace's."""
    async with admin_client(target) as admin:
        names = sorted(
            n for n in await admin.list_topics() if n.startswith(target.prefix) and n[:2] != "__"
        )
        groups = sorted(
            g[0] for g in await admin.list_consumer_groups() if _rapport_group(g[0], target.prefix)
        )
        committed = {g: await admin.list_consumer_group_offsets(g) for g in groups}
    ends = await end_offsets(target.bootstrap, names, security=target.security)
    topics = Table("topic", "partitions", "messages (end offsets)", title="Topics")
    for name in names:
        offsets = {p: end for p, end in ends.items() if p.topic == name}
        topics.add_row(name, str(len(offsets)), f"{total(offsets):,}")
    console.print(topics)
    console.print(_lag_table(committed, ends))


def _rapport_group(group: str, prefix: str) -> bool:
    """The services' groups are ``<prefix>rapport-<service>-<consumer>``."""
    return group.startswith(f"{prefix}rapport-") if prefix else "rapport-" in group


def _lag_table(
    committed: dict[str, dict[TopicPartition, object]], ends: dict[TopicPartition, int]
) -> Table:
    table = Table("consumer group", "topic", "lag", title="Consumer lag")
    for group, offsets in committed.items():
        per_topic: dict[str, int] = {}
        for partition, metadata in offsets.items():
            position = int(getattr(metadata, "offset", 0))
            lag = max(0, ends.get(partition, position) - position)
            per_topic[partition.topic] = per_topic.get(partition.topic, 0) + lag
        for topic, lag in sorted(per_topic.items()):
            table.add_row(group, topic, f"{lag:,}")
    return table
