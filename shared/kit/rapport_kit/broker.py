"""The Kafka broker every service uses: durable producer, tracing and Prometheus middlewares."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry.trace import TracerProvider
from prometheus_client import CollectorRegistry

from rapport_kit.settings import ServiceSettings
from rapport_schemas import CONTENT_TYPE

Acknowledgement = asyncio.Future[Any] | None


def build_broker(
    settings: ServiceSettings,
    *,
    service: str,
    tracer_provider: TracerProvider,
    registry: CollectorRegistry,
) -> KafkaBroker:
    """``acks=all``: a published event survives a broker failover.

    Not aiokafka's idempotent producer: after a broker restart it can fall out of step with the
    broker's sequence numbers and then fails every send with ``OutOfOrderSequenceNumber`` until the
    process restarts (aio-libs/aiokafka#1017; our fault-injection run hit it). Without it a retried
    request may write an event twice; every consumer already drops repeats by event id (outbox
    sweeps republish too), and aiokafka keeps one request in flight per broker, so order holds.
    """
    return KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"rapport-{service}",
        acks="all",
        enable_idempotence=False,
        linger_ms=settings.kafka_linger_ms,
        security=_security(settings),
        middlewares=(
            KafkaTelemetryMiddleware(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(registry=registry, app_name=f"rapport-{service}"),
        ),
        logger=None,
        description=f"Rapport {service} service",
    )


def _security(settings: ServiceSettings) -> BaseSecurity | None:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    tls = context if protocol == "SASL_SSL" else None
    username = settings.kafka_sasl_username or ""
    password = (
        settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else ""
    )
    mechanism = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }[settings.kafka_sasl_mechanism]
    return mechanism(username=username, password=password, ssl_context=tls)


def client_security(settings: ServiceSettings) -> dict[str, Any]:
    """The same security as keyword arguments of a plain aiokafka client (e.g. the admin client
    that provisions topics)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if protocol.startswith("SASL"):
        password = settings.kafka_sasl_password
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": settings.kafka_sasl_username or "",
            "sasl_plain_password": password.get_secret_value() if password else "",
        }
    return options


async def enqueue(
    broker: KafkaBroker,
    value: bytes | None,
    *,
    topic: str,
    key: bytes,
    partition: int | None = None,
) -> Acknowledgement:
    """Queue one CloudEvent (``value`` None: a tombstone of ``key``, no headers) on the producer
    and return its acknowledgement to await later: sends queued one after another keep their
    order, and awaiting them together shares requests. (None where an in-memory test broker
    confirmed at once.) ``partition``: the default partitioner's choice unless given."""
    headers = {"content-type": CONTENT_TYPE} if value is not None else {}
    acknowledgement = await broker.publish(
        value, topic=topic, key=key, partition=partition, headers=headers, no_confirm=True
    )
    return acknowledgement if isinstance(acknowledgement, asyncio.Future) else None


async def acknowledged(acknowledgements: Iterable[Acknowledgement]) -> None:
    await asyncio.gather(*(a for a in acknowledgements if a is not None))
