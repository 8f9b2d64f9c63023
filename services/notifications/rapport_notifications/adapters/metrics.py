"""Domain metrics of deliveries; labels are bounded (templates, channels, known reasons)."""

from __future__ import annotations

from rapport_kit.metric_set import MetricSet, counter, gauge
from rapport_notifications.domain.decision import (
    CONTACT_ERASED,
    FREQUENCY_CAP,
    NO_CONSENT,
    UNKNOWN_CONTACT,
)
from rapport_notifications.domain.pressure import PRESSURE_BUDGET

KNOWN_REASONS = frozenset(
    {
        NO_CONSENT,
        CONTACT_ERASED,
        FREQUENCY_CAP,
        PRESSURE_BUDGET,
        UNKNOWN_CONTACT,
        "outcome_unknown",
        "render_error",
    }
)


class NotificationMetrics(MetricSet):
    sent = counter(
        "rapport_notifications_sent_total", "Messages delivered.", "template", "channel", "locale"
    )
    failed = counter(
        "rapport_notifications_failed_total",
        "Messages given up.",
        "template",
        "reason",
        "permanent",
    )
    scheduled = counter(
        "rapport_notifications_scheduled_total",
        "Messages held for the recipient's delivery window.",
        "template",
        "reason",
    )
    backlog = gauge(
        "rapport_notifications_scheduled_backlog",
        "Messages waiting for their delivery window right now.",
    )

    def count_sent(self, template: str, channel: str, locale: str) -> None:
        self.sent.labels(template, channel, locale).inc()

    def count_scheduled(self, template: str, reason: str) -> None:
        self.scheduled.labels(template, reason).inc()

    def show_backlog(self, scheduled: int) -> None:
        self.backlog.set(scheduled)

    def count_failure(self, template: str, reason: str, permanent: bool) -> None:
        label = reason if reason in KNOWN_REASONS else "provider_error"
        self.failed.labels(template, label, str(permanent).lower()).inc()
