"""Business days of a country: its own weekend days and public holidays (``holidays`` package)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

STANDARD_WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday numbering)


@lru_cache(maxsize=256)
def _country(country: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:  # a country the package does not know: no holidays
        return None


def weekend_days(country: str | None) -> frozenset[int]:
    """E.g. Friday–Saturday in Saudi Arabia, Saturday–Sunday in Türkiye."""
    calendar = _country(country) if country else None
    return frozenset(calendar.weekend) if calendar is not None else STANDARD_WEEKEND


def public_holiday(day: date, country: str | None) -> bool:
    calendar = _country(country) if country else None
    return calendar is not None and day in calendar


def is_business_day(day: date, country: str | None) -> bool:
    return day.weekday() not in weekend_days(country) and not public_holiday(day, country)


def add_business_days(day: date, count: int, country: str | None) -> date:
    """The ``count``-th business day after ``day`` (``day`` itself if 0 and it is one)."""
    while not is_business_day(day, country):
        day += timedelta(days=1)
    for _ in range(count):
        day += timedelta(days=1)
        while not is_business_day(day, country):
            day += timedelta(days=1)
    return day


def business_days_between(start: date, end: date, country: str | None) -> int:
    """Business days after ``start`` up to and including ``end``."""
    days = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        days += is_business_day(day, country)
    return days
