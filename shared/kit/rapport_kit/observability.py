"""Prometheus instruments shared by every consumer; labels are bounded (no ids, no free text)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass(frozen=True)
class ConsumerMetrics:
    consumed: Counter
    dead_letters: Counter
    retries: Counter
    duplicates: Counter
    batch_seconds: Histogram
    lag: Gauge
    stalled: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> ConsumerMetrics:
        return cls(
            consumed=Counter(
                "rapport_events_consumed_total",
                "Events applied by a consumer, by event type.",
                ["consumer", "event_type"],
                registry=registry,
            ),
            dead_letters=Counter(
                "rapport_dead_letters_total",
                "Messages sent to a dead-letter topic, by reason.",
                ["consumer", "reason"],
                registry=registry,
            ),
            retries=Counter(
                "rapport_consumer_retries_total",
                "Transient failures retried by a consumer.",
                ["consumer"],
                registry=registry,
            ),
            duplicates=Counter(
                "rapport_duplicate_events_total",
                "Redelivered or republished events recognised and skipped.",
                ["consumer"],
                registry=registry,
            ),
            batch_seconds=Histogram(
                "rapport_batch_processing_seconds",
                "Time to decode, apply and store one consumed batch.",
                ["consumer"],
                registry=registry,
            ),
            lag=Gauge(
                "rapport_consumer_lag_messages",
                "Messages behind the partition's end: after each batch and every few seconds from"
                " the group's committed offsets.",
                ["consumer", "topic", "partition"],
                registry=registry,
            ),
            stalled=Gauge(
                "rapport_consumer_stalled",
                "1 while a consumer has a partition with lag and no progress for the stall time.",
                ["consumer"],
                registry=registry,
            ),
        )
