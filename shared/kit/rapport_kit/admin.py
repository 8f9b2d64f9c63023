"""Topic provisioning: services create the topics they produce and consume, idempotently, and
keep the configs of the topics they own as their settings say (``configs``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from rapport_kit.broker import client_security
from rapport_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

OFFSETS_CHUNK = 200
COMPACT = {"cleanup.policy": "compact"}
# The config source Kafka reports for a value set on the topic itself (DescribeConfigs v1+).
DYNAMIC_TOPIC_CONFIG = 1
TopicConfigs = Mapping[str, Mapping[str, str]]


def personal_topic_configs(deadline_hours: float) -> dict[str, str]:
    """The configs of a personal topic whose erased records must be gone ``deadline_hours`` after
    their tombstone: compacted; the active segment rolls (``segment.ms``, on the next append),
    the cleaner must compact a dirty record (``max.compaction.lag.ms``) and the tombstone itself
    goes (``delete.retention.ms``) within a third of the deadline each; a few dirty records are
    enough to clean (``min.cleanable.dirty.ratio``). Fractional hours: tests use seconds.
    https://kafka.apache.org/documentation/#topicconfigs"""
    if deadline_hours <= 0:
        raise ValueError(f"erasure deadline must be positive, not {deadline_hours} h")
    third = str(max(1, int(deadline_hours * 3_600_000 / 3)))
    return {
        **COMPACT,
        "segment.ms": third,
        "max.compaction.lag.ms": third,
        "delete.retention.ms": third,
        "min.cleanable.dirty.ratio": "0.01",
    }


async def ensure_topics(
    settings: ServiceSettings,
    names: list[str],
    *,
    compacted: frozenset[str] = frozenset(),
    configs: TopicConfigs | None = None,
) -> None:
    """Create the missing ``names`` (as named on the broker); ``compacted`` ones are created
    compacted. ``configs`` (name → configs) are the service's own topics' configs: a missing one
    is created with them, an existing one whose values differ is altered to them (other values
    set on the topic are kept), so a changed setting takes effect on the next start."""
    configs = configs or {}
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
                topic_configs=dict(configs.get(name) or (COMPACT if name in compacted else {})),
            )
            for name in sorted(set(names) | set(configs))
            if name not in existing
        ]
        if missing:
            # another instance may create a topic between our list and create
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("topics created", extra={"fields": {"topics": [t.name for t in missing]}})
        owned = {name: wanted for name, wanted in configs.items() if name in existing and wanted}
        if owned:
            await _align_configs(admin, owned)
    finally:
        await admin.close()


async def topic_configs(admin: AIOKafkaAdminClient, name: str) -> dict[str, tuple[str, int]]:
    """Every config of topic ``name``: its value and where it comes from (Kafka's config
    source: 1 = set on the topic, 5 = the broker's default, …)."""
    [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    [(error_code, message, _, _, entries)] = response.resources
    if error_code:
        raise RuntimeError(f"describe configs of {name}: error {error_code} {message}")
    return {entry[0]: (entry[1], entry[3]) for entry in entries}


async def _align_configs(admin: AIOKafkaAdminClient, owned: TopicConfigs) -> None:
    for name, wanted in owned.items():
        current = await topic_configs(admin, name)
        if all(current.get(key, ("", 0))[0] == value for key, value in wanted.items()):
            continue
        # AlterConfigs replaces the topic's whole set of values: keep the others set on it.
        kept = {
            k: value for k, (value, source) in current.items() if source == DYNAMIC_TOPIC_CONFIG
        }
        [response] = await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, {**kept, **wanted})]
        )
        [(error_code, message, _, _)] = response.resources
        if error_code:
            raise RuntimeError(f"alter configs of {name}: error {error_code} {message}")
        changed = sorted(k for k, v in wanted.items() if current.get(k, ("", 0))[0] != v)
        log.info("topic configs altered", extra={"fields": {"topic": name, "configs": changed}})


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
