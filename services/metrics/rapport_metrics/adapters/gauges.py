"""Prometheus gauges of the headline KPIs: current windows, ``all`` and country segments only.

Labels stay bounded: metric names, three window sizes, and ISO country codes; never ids or text.
"""

from __future__ import annotations

from rapport_kit.metric_set import MetricSet, gauge
from rapport_schemas.metrics import MetricComputed

HEADLINE_SEGMENTS = frozenset({"all", "country"})
LABELS = ("metric", "window", "segment_kind", "segment_value")


class KpiGauges(MetricSet):
    segment_kinds = HEADLINE_SEGMENTS
    value = gauge("rapport_kpi_value", "Current-window KPI value.", *LABELS)
    sample_size = gauge("rapport_kpi_sample_size", "Sample size behind the KPI value.", *LABELS)

    def observe(self, computed: MetricComputed) -> None:
        """Called with values of the current windows only."""
        if computed.segment_kind not in HEADLINE_SEGMENTS or computed.value is None:
            return
        labels = (
            computed.metric,
            computed.window.value,
            computed.segment_kind,
            computed.segment_value,
        )
        self.value.labels(*labels).set(computed.value)
        self.sample_size.labels(*labels).set(computed.sample_size)
