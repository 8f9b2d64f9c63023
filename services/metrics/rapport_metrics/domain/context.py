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
Owner = tuple[str, str | None, str | None]  # contact (resolved), the event's channel and agent


@dataclass(frozen=True)
class Contribution:
    family: str
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    increments: dict[str, Increment]
    # Set when the segments are the contact's (``Context.counted``): kept in its tally
    # (``domain.tally``) so a late or changed segment fact moves it.
    owner: Owner | None = None


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

    def counted(
        self,
        family: str,
        moment: datetime,
        contact_id: str,
        increments: dict[str, Increment],
        *,
        channel: str | None = None,
        agent: str | None = None,
    ) -> Contribution:
        """A contribution in the segments of ``contact_id`` (with the event's channel/agent), in
        its tally. Not resolved through merges: an event stands in the segments of the contact it
        is about, whether it is read before or after a merge (a rebuild reads the topics
        interleaved), so the counts do not depend on the order; the distinct-contact counts are
        the person's (``customers``)."""
        segments = self.directory.segments(contact_id, channel=channel, agent=agent)
        return Contribution(
            family, self.at(moment), segments, increments, (contact_id, channel, agent)
        )
