"""The AsyncAPI document one service serves: its own sends and consumer groups, its settings'
brokers, topic prefix and partitions (the contract itself comes from ``rapport_schemas``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapport_kit.settings import ServiceSettings
from rapport_schemas.asyncapi import Application, ConsumerGroup, Deployment, document


def deployment(settings: ServiceSettings) -> Deployment:
    return Deployment(
        brokers=tuple(host.strip() for host in settings.kafka_bootstrap.split(",") if host.strip()),
        security_protocol=settings.kafka_security_protocol,
        sasl_mechanism=settings.kafka_sasl_mechanism,
        topic_prefix=settings.topic_prefix,
        partitions=settings.topic_partitions,
        replicas=settings.topic_replication_factor,
    )


def service_document(
    settings: ServiceSettings,
    *,
    service: str,
    produced_topics: Sequence[str],
    groups: Sequence[ConsumerGroup],
) -> dict[str, Any]:
    """What ``service`` sends (its topics and its dead letters) and receives, per group."""
    application = Application(
        service=service, sends=tuple(produced_topics), dead_letters_of=(service,), groups=groups
    )
    return document(application, deployment(settings))
