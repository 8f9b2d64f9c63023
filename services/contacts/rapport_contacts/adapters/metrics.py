"""The contacts service's counters on ``/metrics``; labels are channels only (bounded)."""

from __future__ import annotations

from rapport_kit.metric_set import MetricSet, counter


class SlaMetrics(MetricSet):
    """The ``SlaCounters`` port on Prometheus."""

    checks = counter("rapport_contacts_sla_checks_total", "Rounds of the SLA scheduler.")
    breaches = counter(
        "rapport_contacts_sla_breaches_total",
        "SLA deadlines missed (SlaBreached written).",
        "channel",
    )

    def count_check(self) -> None:
        self.checks.inc()

    def count_breach(self, channel: str) -> None:
        self.breaches.labels(channel).inc()
