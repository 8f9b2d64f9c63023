"""Outbound webhook metrics; labels are event types and bounded reasons: never a URL, a
subscription's description or anything from the event's data."""

from __future__ import annotations

from rapport_kit.metric_set import MetricSet, counter


class WebhookMetrics(MetricSet):
    delivered = counter(
        "rapport_notifications_webhook_delivered_total",
        "Events a subscriber's endpoint accepted (2xx).",
        "event_type",
    )
    retried = counter(
        "rapport_notifications_webhook_retried_total",
        "Attempts that failed and were scheduled again (5xx, 429, timeout, connection).",
        "event_type",
        "reason",
    )
    failed = counter(
        "rapport_notifications_webhook_failed_total",
        "Deliveries given up: rejected (a 4xx other than 429) or attempts exhausted.",
        "event_type",
        "reason",
    )
    disabled = counter(
        "rapport_notifications_webhook_subscriptions_disabled_total",
        "Subscriptions disabled after sustained failure.",
    )

    def count_delivered(self, event_type: str) -> None:
        self.delivered.labels(event_type).inc()

    def count_retried(self, event_type: str, reason: str) -> None:
        self.retried.labels(event_type, reason).inc()

    def count_failed(self, event_type: str, reason: str) -> None:
        self.failed.labels(event_type, reason).inc()

    def count_disabled(self) -> None:
        self.disabled.inc()
