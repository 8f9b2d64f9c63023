"""Domain KPIs on ``/metrics``; labels are survey kinds and reasons only (bounded, anonymous)."""

from __future__ import annotations

from collections.abc import Iterable

from rapport_kit.metric_set import MetricSet, counter
from rapport_schemas import EventData
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyRequested


class FeedbackMetrics(MetricSet):
    requested = counter(
        "rapport_feedback_surveys_requested_total", "Surveys requested, by kind.", "kind"
    )
    answered = counter(
        "rapport_feedback_surveys_answered_total", "Survey answers accepted, by kind.", "kind"
    )
    detractors = counter(
        "rapport_feedback_detractors_total", "Detractors detected, by reason.", "reason"
    )

    def observe(self, events: Iterable[EventData]) -> None:
        """Count what was just stored for publishing (a redelivery stores nothing new)."""
        for data in events:
            if isinstance(data, SurveyRequested):
                self.requested.labels(data.kind.value).inc()
            elif isinstance(data, SurveyAnswered):
                self.answered.labels(data.kind.value).inc()
            elif isinstance(data, DetractorDetected):
                self.detractors.labels(data.reason.value).inc()
