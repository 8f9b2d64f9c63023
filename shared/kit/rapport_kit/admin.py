"""Topic provisioning: services create the topics they produce and consume, idempotently."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from rapport_kit.broker import client_security
from rapport_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

OFFSETS_CHUNK = 200


async def ensure_topics(
    settings: ServiceSettings,
    names: list[str],
    *,
    compacted: frozenset[str] = frozenset(),
) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, **client_security(settings)
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in names
            if name not in existing
        ]
        if missing:
            # another instance may create a topic between our list and create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("topics created", extra={"fields": {"topics": [t.name for t in missing]}})
    finally:
        await admin.close()


async def end_offsets(
    bootstrap: str, topic_names: Sequence[str], *, security: Mapping[str, Any] | None = None
) -> dict[TopicPartition, int]:
    """The current end offset of every partition of ``topic_names`` (``security``: the clients'
    SASL/TLS options, ``client_security(settings)``)."""
    security = security or {}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topic_names))
    finally:
        await admin.close()
    partitions = [
        TopicPartition(d["topic"], p["partition"]) for d in described for p in d["partitions"]
    ]
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **security)
    await consumer.start()
    ends: dict[TopicPartition, int] = {}
    try:
        # aiokafka loads metadata topic by topic (~0.1 s each): ask in chunks so a broker with
        # hundreds of topics stays within one request's timeout.
        for start in range(0, len(partitions), OFFSETS_CHUNK):
            ends.update(await consumer.end_offsets(partitions[start : start + OFFSETS_CHUNK]))
        return ends
    finally:
        await consumer.stop()
