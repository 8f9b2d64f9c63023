"""A customer's business calendar and the SLA deadlines computed in it (pure).

SPEC: "every inbound interaction that awaits an answer gets a deadline in the customer's business
calendar (time zone, the country's weekend days and public holidays; e-mail: same business day or
the end of the next)". Deadlines are computed on the customer's local wall clock, then converted
to UTC, so a deadline at 18:00 in Los Angeles is 02:00 UTC on the next calendar day.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from rapport_schemas.common import Channel

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
DEFAULT_WEEKEND = frozenset({SATURDAY, SUNDAY})
# Countries whose weekend is not Saturday–Sunday (sources: each government's labour law, as
# summarised in CLDR's weekData). Everything else uses DEFAULT_WEEKEND. The UAE moved to
# Saturday–Sunday in 2022, Saudi Arabia keeps Friday–Saturday.
WEEKEND_DAYS: Mapping[str, frozenset[int]] = {
    "AF": frozenset({THURSDAY, FRIDAY}),
    "BH": frozenset({FRIDAY, SATURDAY}),
    "DZ": frozenset({FRIDAY, SATURDAY}),
    "EG": frozenset({FRIDAY, SATURDAY}),
    "IL": frozenset({FRIDAY, SATURDAY}),
    "IQ": frozenset({FRIDAY, SATURDAY}),
    "IR": frozenset({FRIDAY}),
    "JO": frozenset({FRIDAY, SATURDAY}),
    "KW": frozenset({FRIDAY, SATURDAY}),
    "LY": frozenset({FRIDAY, SATURDAY}),
    "OM": frozenset({FRIDAY, SATURDAY}),
    "QA": frozenset({FRIDAY, SATURDAY}),
    "SA": frozenset({FRIDAY, SATURDAY}),
    "SD": frozenset({FRIDAY, SATURDAY}),
    "SY": frozenset({FRIDAY, SATURDAY}),
    "YE": frozenset({FRIDAY, SATURDAY}),
}


@functools.cache
def _public_holidays(country: str) -> holidays.HolidayBase | None:
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:  # a country the holidays package does not know: weekends only
        return None


@dataclass(frozen=True)
class BusinessCalendar:
    """Business days and hours of one customer: their zone, weekend and public holidays."""

    zone: ZoneInfo
    country: str
    opens: time = time(9)
    closes: time = time(18)

    def is_business_day(self, day: date) -> bool:
        if day.weekday() in WEEKEND_DAYS.get(self.country, DEFAULT_WEEKEND):
            return False
        public = _public_holidays(self.country)
        return public is None or day not in public

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        while not self.is_business_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def at(self, day: date, clock_time: time) -> datetime:
        return datetime.combine(day, clock_time, tzinfo=self.zone).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@dataclass(frozen=True)
class SlaPolicy:
    """How long each channel may wait for an answer, and the business hours of every customer.

    Channels listed in ``business_hours`` get that many business hours (counted only between
    ``opens`` and ``closes`` of business days); every other channel follows the e-mail rule.
    """

    business_hours: Mapping[Channel, float] = field(default_factory=dict)
    opens: time = time(9)
    closes: time = time(18)

    def calendar(self, *, time_zone: str, country: str) -> BusinessCalendar:
        return BusinessCalendar(ZoneInfo(time_zone), country, self.opens, self.closes)

    def due_at(
        self, calendar: BusinessCalendar, channel: Channel, received_at: datetime
    ) -> datetime:
        hours = self.business_hours.get(channel)
        if hours is None:
            return email_deadline(calendar, received_at)
        return add_business_hours(calendar, received_at, timedelta(hours=hours))


def email_deadline(calendar: BusinessCalendar, received_at: datetime) -> datetime:
    """E-mail: "answered the same day it was sent or, if not, by the end of the next business day"
    (seed 001: "gönderildikleri gün ya da değilse bir sonraki iş gününün sonunda").

    The latest moment that satisfies the rule is the end (``closes``, 18:00 by default) of the
    first business day after the local day of receipt, whatever the day of receipt is: mail of a
    Saturday in Riyadh (weekend Friday–Saturday) is due Sunday 18:00, mail after closing time on a
    business day is due at the end of the next business day, mail on a holiday eve (a full
    business day in Turkey) at the end of the first business day after the holiday.
    """
    return calendar.at(
        calendar.next_business_day(calendar.local_date(received_at)), calendar.closes
    )


def add_business_hours(
    calendar: BusinessCalendar, received_at: datetime, window: timedelta
) -> datetime:
    """``window`` of business time after ``received_at``, skipping nights, weekends, holidays."""
    day = calendar.local_date(received_at)
    cursor = max(received_at, calendar.at(day, calendar.opens))
    remaining = window
    while True:
        if calendar.is_business_day(day):
            closing = calendar.at(day, calendar.closes)
            if cursor < closing:
                if cursor + remaining <= closing:
                    return cursor + remaining
                remaining -= closing - cursor
        day = calendar.next_business_day(day)
        cursor = calendar.at(day, calendar.opens)
