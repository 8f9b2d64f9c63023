"""Day, ISO week (Monday) and month windows by event time, in the reporting time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport_schemas.metrics import WindowSize

SIZES = (WindowSize.DAY, WindowSize.WEEK, WindowSize.MONTH)
Point = tuple[WindowSize, date]


def window_start(at: datetime, size: WindowSize, zone: ZoneInfo) -> date:
    """The first local day of the window holding ``at``: a late event lands in its own window."""
    return start_of(at.astimezone(zone).date(), size)


def start_of(day: date, size: WindowSize) -> date:
    if size is WindowSize.DAY:
        return day
    if size is WindowSize.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def points(at: datetime, zone: ZoneInfo) -> tuple[Point, ...]:
    return tuple((size, window_start(at, size, zone)) for size in SIZES)


def next_start(start: date, size: WindowSize) -> date:
    if size is WindowSize.DAY:
        return start + timedelta(days=1)
    if size is WindowSize.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_start(start: date, size: WindowSize) -> date:
    if size is WindowSize.MONTH:
        return (start - timedelta(days=1)).replace(day=1)
    return start - timedelta(days=1 if size is WindowSize.DAY else 7)


def starts_between(first: date, last: date, size: WindowSize) -> list[date]:
    """Every window start from ``first``'s window to ``last``'s (for gap-filled charts)."""
    result, current = [], first
    while current <= last:
        result.append(current)
        if current > date.max - timedelta(days=31):
            break  # the calendar's last window: there is no next one
        current = next_start(current, size)
    return result


def window_count(first: date, last: date, size: WindowSize) -> int:
    """How many windows ``first``'s window to ``last``'s spans (without listing them)."""
    if size is WindowSize.MONTH:
        return (last.year - first.year) * 12 + last.month - first.month + 1
    days = (start_of(last, size) - start_of(first, size)).days
    return days // (1 if size is WindowSize.DAY else 7) + 1


def period_key(size: WindowSize, start: date) -> str:
    return f"{size.value}:{start.isoformat()}"


def parse_period(key: str) -> Point:
    size, start = key.split(":", maxsplit=1)
    return WindowSize(size), date.fromisoformat(start)


def local_midnight(start: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(start, time(0), tzinfo=zone)


def contains(size: WindowSize, start: date, at: datetime, zone: ZoneInfo) -> bool:
    return window_start(at, size, zone) == start
