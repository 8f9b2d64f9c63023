"""A counter contribution and the batch snapshots an event's contributions depend on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from rapport_metrics.domain.directory import Directory, Segment
from rapport_metrics.domain.documents import AwaitingInbound, CustomerDocument, SurveyPair
from rapport_metrics.domain.windows import Point, points

Increment = int | float | Decimal


@dataclass(frozen=True)
class Contribution:
    family: str
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    increments: dict[str, Increment]


@dataclass(frozen=True)
class Context:
    directory: Directory
    zone: ZoneInfo
    activity: frozenset[str]
    customers: Mapping[str, CustomerDocument] = field(default_factory=dict)
    awaiting: Mapping[str, AwaitingInbound] = field(default_factory=dict)
    surveys: Mapping[str, SurveyPair] = field(default_factory=dict)

    def at(self, moment: datetime) -> tuple[Point, ...]:
        return points(moment, self.zone)

    def segments(
        self, contact_id: str, channel: str | None = None, agent: str | None = None
    ) -> tuple[Segment, ...]:
        return self.directory.segments(
            self.directory.resolve(contact_id), channel=channel, agent=agent
        )
