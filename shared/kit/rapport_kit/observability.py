"""Prometheus instruments shared by every consumer; labels are bounded (no ids, no free text)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from rapport_kit.metric_set import MetricSet, counter, gauge, histogram


class ConsumerMetrics(MetricSet):
    consumed = counter(
        "rapport_events_consumed_total",
        "Events applied by a consumer, by event type.",
        "consumer",
        "event_type",
    )
    dead_letters = counter(
        "rapport_dead_letters_total",
        "Messages sent to a dead-letter topic, by reason.",
        "consumer",
        "reason",
    )
    skipped = counter(
        "rapport_events_skipped_total",
        "Records acknowledged without being applied: v1 copies (v1_copy), roll tombstones (roll).",
        "consumer",
        "reason",
    )
    retries = counter(
        "rapport_consumer_retries_total", "Transient failures retried by a consumer.", "consumer"
    )
    duplicates = counter(
        "rapport_duplicate_events_total",
        "Redelivered or republished events recognised and skipped.",
        "consumer",
    )
    batch_seconds = histogram(
        "rapport_batch_processing_seconds",
        "Time to decode, apply and store one consumed batch.",
        "consumer",
    )
    lag = gauge(
        "rapport_consumer_lag_messages",
        "Messages behind the partition's end: after each batch and every few seconds from"
        " the group's committed offsets.",
        "consumer",
        "topic",
        "partition",
    )
    stalled = gauge(
        "rapport_consumer_stalled",
        "1 while a consumer has a partition with lag and no progress for the stall time.",
        "consumer",
    )


class OutboxGauges(MetricSet):
    """What the outbox sweeper found unpublished, per collection (``service`` names the process's
    service: every replica sweeps the same documents, so dashboards take the ``max``)."""

    pending = gauge(
        "rapport_outbox_pending_entries",
        "Outbox entries still unpublished after the sweeper's grace period (the writer's own"
        " publish failed or its process died), as of the last sweep.",
        "service",
        "collection",
    )
    oldest_age = gauge(
        "rapport_outbox_oldest_entry_age_seconds",
        "Age of the oldest of those entries (0 when there is none); grows between sweeps.",
        "service",
        "collection",
    )

    def __init__(self, registry: CollectorRegistry, *, service: str) -> None:
        super().__init__(registry)
        self.service = service

    def show(self, collection: str, *, entries: int, oldest: datetime | None) -> None:
        self.pending.labels(self.service, collection).set(entries)
        age = self.oldest_age.labels(self.service, collection)
        # Computed at scrape time: a sweep blocked on an unreachable Kafka cannot freeze the age.
        age.set_function(lambda: 0.0 if oldest is None else _seconds_since(oldest))


def _seconds_since(moment: datetime) -> float:
    return max(0.0, (datetime.now(UTC) - moment).total_seconds())
