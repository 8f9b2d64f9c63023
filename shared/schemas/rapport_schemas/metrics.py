"""Events published by the metrics service on ``rapport.metrics.kpis`` (the metric stream)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from rapport_schemas import topics
from rapport_schemas.common import CurrencyCode, Money
from rapport_schemas.envelope import EventData


class WindowSize(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class MetricComputed(EventData):
    """The current value of one KPI for one window and segment.

    Keyed ``metric|window|window_start|segment_kind=segment_value`` so a compacted topic keeps the
    latest value of each series point.
    """

    topic: ClassVar[str] = topics.METRICS
    event_type: ClassVar[str] = "rapport.metrics.metric_computed.v1"

    metric: str = Field(max_length=64)
    window: WindowSize
    window_start: AwareDatetime
    segment_kind: str = Field(max_length=32, description="all, country, language, channel…")
    segment_value: str = Field(max_length=64)
    value: float | None = Field(description="None when there is no sample.")
    sample_size: int = Field(ge=0)
    ci_low: float | None = None
    ci_high: float | None = None
    too_few: bool
    unit: str = Field(max_length=16)
    computed_at: AwareDatetime
    unconverted: dict[CurrencyCode, Money] | None = Field(
        default=None,
        description="Lifetime value only: amounts per original currency that no exchange rate "
        "covers yet, not included in value (re-published converted when a rate arrives).",
    )

    def partition_key(self) -> str:
        return (
            f"{self.metric}|{self.window}|{self.window_start.date().isoformat()}"
            f"|{self.segment_kind}={self.segment_value}"
        )
