"""A personal topic is created compacted with the configs its erasure deadline gives, and a
changed deadline alters the existing topic on the next start (real broker)."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from rapport_kit.admin import ensure_topics, personal_topic_configs, topic_configs
from rapport_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration

WATCHED = (
    "cleanup.policy",
    "segment.ms",
    "max.compaction.lag.ms",
    "delete.retention.ms",
    "min.cleanable.dirty.ratio",
    "retention.bytes",
)


async def configs_of(bootstrap: str, name: str) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = await topic_configs(admin, name)
    finally:
        await admin.close()
    return {key: found[key][0] for key in WATCHED}


def test_the_configs_are_a_third_of_the_deadline_each() -> None:
    assert personal_topic_configs(24) == {
        "cleanup.policy": "compact",
        "segment.ms": "28800000",
        "max.compaction.lag.ms": "28800000",
        "delete.retention.ms": "28800000",
        "min.cleanable.dirty.ratio": "0.01",
    }
    assert personal_topic_configs(3 / 3600)["segment.ms"] == "1000"  # 3 s: one second each
    with pytest.raises(ValueError, match="positive"):
        personal_topic_configs(0)


async def test_a_personal_topic_is_created_with_its_configs_and_altered_when_they_change(
    service_env, infra, namespace
) -> None:
    settings = ServiceSettings(**service_env)  # type: ignore[arg-type]
    name = settings.topic("rapport.contacts.personal")
    await ensure_topics(settings, [name], configs={name: personal_topic_configs(24)})
    created = await configs_of(infra.kafka_bootstrap, name)
    assert created == {
        **personal_topic_configs(24),
        "retention.bytes": "-1",  # the broker's default: nothing set on the topic
    }

    # Another value an operator set on the topic must survive the alteration.
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    name,
                    {**personal_topic_configs(24), "retention.bytes": "1073741824"},
                )
            ]
        )
    finally:
        await admin.close()

    await ensure_topics(settings, [name], configs={name: personal_topic_configs(6)})
    altered = await configs_of(infra.kafka_bootstrap, name)
    assert altered == {**personal_topic_configs(6), "retention.bytes": "1073741824"}
    assert altered["segment.ms"] == "7200000"

    # The same configs again: nothing to alter, nothing changes.
    await ensure_topics(settings, [name], configs={name: personal_topic_configs(6)})
    assert await configs_of(infra.kafka_bootstrap, name) == altered


async def test_a_consumer_creates_a_missing_topic_compacted_and_never_alters_it(
    service_env, infra, namespace
) -> None:
    settings = ServiceSettings(**service_env)  # type: ignore[arg-type]
    name = settings.topic("rapport.feedback.personal")
    await ensure_topics(settings, [name], configs={name: personal_topic_configs(1)})
    await ensure_topics(settings, [name], compacted=frozenset({name}))
    assert await configs_of(infra.kafka_bootstrap, name) == {
        **personal_topic_configs(1),
        "retention.bytes": "-1",
    }
    other = settings.topic("rapport.contacts.personal")
    await ensure_topics(settings, [other], compacted=frozenset({other}))
    assert (await configs_of(infra.kafka_bootstrap, other))["cleanup.policy"] == "compact"
