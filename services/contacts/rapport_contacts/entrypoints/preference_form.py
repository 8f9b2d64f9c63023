"""What the preference center's form posted, read into the customer's choices or the field it
got wrong. Unchecked boxes are not posted: every pair not posted is a consent withdrawn."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import time

from starlette.datastructures import FormData

from rapport_contacts.domain.preferences import MESSAGE_CHANNELS, PURPOSES, Preferences
from rapport_schemas.common import Channel
from rapport_schemas.contacts import QuietHours

PAIRS = {f"{c.value}:{p.value}": (c, p) for c in MESSAGE_CHANNELS for p in PURPOSES}


@dataclass(frozen=True)
class Submitted:
    token: str
    consents: tuple[str, ...]
    preferred_channel: str
    language: str
    quiet_start: str
    quiet_end: str

    @classmethod
    def read(cls, form: FormData) -> Submitted:
        def one(name: str, limit: int = 64) -> str:
            value = form.get(name)
            return value.strip()[:limit] if isinstance(value, str) else ""

        consents = tuple(v for v in form.getlist("consent") if isinstance(v, str))
        fields = ("preferred_channel", "language", "quiet_start", "quiet_end")
        channel, language, start, end = (one(name) for name in fields)
        return cls(one("token", 512), consents, channel, language, start, end)


@dataclass(frozen=True)
class Problem:
    key: str  # the page text that explains it
    field: str  # the field it names


def choices(
    submitted: Submitted, *, languages: Collection[str], current: Channel
) -> Preferences | Problem:
    """The customer's choices, or the first field that cannot be taken as posted."""
    if any(value not in PAIRS for value in submitted.consents):
        return Problem("bad_choice", "consent")
    channels = {c.value for c in (*MESSAGE_CHANNELS, current)}
    if submitted.preferred_channel not in channels:
        return Problem("bad_choice", "preferred_channel")
    if submitted.language not in languages:
        return Problem("bad_choice", "language")
    quiet = quiet_hours(submitted.quiet_start, submitted.quiet_end)
    if isinstance(quiet, Problem):
        return quiet
    consented = frozenset(PAIRS[value] for value in submitted.consents)
    return Preferences(consented, Channel(submitted.preferred_channel), submitted.language, quiet)


def quiet_hours(start: str, end: str) -> QuietHours | Problem | None:
    if not start and not end:
        return None
    parsed = [_time(start), _time(end)]
    if parsed[0] is None or parsed[1] is None:
        return Problem("quiet_hours_both", "quiet_hours")
    return QuietHours(start=parsed[0], end=parsed[1])


def kept_language(chosen: str, current: str, locale_of: Callable[[str], str]) -> str:
    """The page offers its locales (``pt``); a stored ``pt-BR`` that reads as ``pt`` stays."""
    return current if locale_of(current) == chosen else chosen


def _time(value: str) -> time | None:
    if not value.isascii() or len(value) not in (5, 8):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None
