"""When a customer message may be delivered: outside local quiet hours and, where configured,
not on the recipient country's weekend days or public holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport_notifications.domain.calendar import public_holiday, weekend_days

QUIET_HOURS = "quiet_hours"
WEEKEND = "weekend"
PUBLIC_HOLIDAY = "public_holiday"
MAX_DAYS_AHEAD = 31


@dataclass(frozen=True)
class DeliveryWindow:
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    avoid_weekends: bool = False
    avoid_public_holidays: bool = False

    def quiet_at(self, moment: time) -> bool:
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start > self.quiet_end:  # spans midnight, e.g. 21:00–08:00
            return moment >= self.quiet_start or moment < self.quiet_end
        return self.quiet_start <= moment < self.quiet_end


@dataclass(frozen=True)
class Postponed:
    until: datetime
    reason: str  # the first rule that held the message back


def postponement(
    now: datetime, *, time_zone: str, country: str | None, window: DeliveryWindow
) -> Postponed | None:
    """None if a message may go now; else the first moment it may, and why it waits."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    first_reason: str | None = None
    for _ in range(MAX_DAYS_AHEAD * 2):
        reason = _blocked(local, country, window)
        if reason is None:
            return None if first_reason is None else Postponed(local.astimezone(UTC), first_reason)
        first_reason = first_reason or reason
        local = _next_candidate(local, reason, window, zone)
    raise ValueError("no delivery window within a month; check the quiet-hours settings")


def _blocked(local: datetime, country: str | None, window: DeliveryWindow) -> str | None:
    if window.avoid_public_holidays and public_holiday(local.date(), country):
        return PUBLIC_HOLIDAY
    if window.avoid_weekends and local.weekday() in weekend_days(country):
        return WEEKEND
    if window.quiet_at(local.time()):
        return QUIET_HOURS
    return None


def _next_candidate(
    local: datetime, reason: str, window: DeliveryWindow, zone: ZoneInfo
) -> datetime:
    """The window's opening later today if still ahead (quiet morning), else tomorrow's."""
    day = local.date()
    if reason != QUIET_HOURS or local.time() >= window.quiet_end:
        day += timedelta(days=1)
    return datetime.combine(day, window.quiet_end, tzinfo=zone)
