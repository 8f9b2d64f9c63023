"""The read-model documents the KPI rules read, as the views write them (without bookkeeping).

Defined here, not in ``views/``, because the rules (``context``, the ``*_kpis`` modules) take
them as input; the views produce them. Every field is optional: a document grows event by event.
"""

from __future__ import annotations

from typing import Any, TypedDict


class DirectoryEntry(TypedDict, total=False):
    """A contact's segment attributes (never names, e-mails or phones)."""

    country: str | None
    region: str | None
    language: str | None
    industry: str | None
    channel: str | None
    agent: str | None
    currency: str | None
    registered_at: str
    referred: bool
    merged_into: str
    erased: bool


class CustomerCounts(TypedDict, total=False):
    """The event that made the contact active, retained, a buyer, by period (``day:2025-11-03``)."""

    active: dict[str, str]
    retained: dict[str, str]
    bought: dict[str, list[str]]
    first_purchase_at: str


class CustomerDocument(CustomerCounts, total=False):
    segments: dict[str, str]
    moves: dict[str, dict[str, Any]]  # by event id: {"from", "to", "counted"}
    first_purchase_moves: dict[str, list[str | None]]
    merged_into: str


class Reply(TypedDict):
    at: str
    agent: str | None


class AwaitingInbound(TypedDict, total=False):
    """An inbound interaction awaiting an answer, with its first reply once seen."""

    contact_id: str
    channel: str
    received_at: str
    due_at: str | None
    reply: Reply
    completed_by: str


class SurveyPair(TypedDict, total=False):
    """A survey's request (its window and segments) and whether it was answered."""

    requested_at: str
    segments: dict[str, str]
    contact: str
    channel: str
    answered: bool
    completed_by: str


class TallyEntry(TypedDict):
    family: str
    period: str
    channel: str | None
    agent: str | None
    counters: dict[str, object]


class ContactTally(TypedDict, total=False):
    """A contact's event-level counts and the segments they stand in (``domain.tally``)."""

    segments: dict[str, str]
    tally: list[TallyEntry]
    moves: dict[str, dict[str, Any]]  # by event id: {"from", "to", "tally"}


class CounterDocument(TypedDict):
    """The counters of one series point: family, window size and start, segment."""

    family: str
    window: str
    start: str
    segment_kind: str
    segment_value: str
    counters: dict[str, object]
