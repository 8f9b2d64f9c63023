from datetime import UTC, datetime, time

from rapport_notifications.domain.calendar import add_business_days, weekend_days
from rapport_notifications.domain.quiet_hours import (
    PUBLIC_HOLIDAY,
    QUIET_HOURS,
    WEEKEND,
    DeliveryWindow,
    postponement,
)

WINDOW = DeliveryWindow()


def test_late_evening_in_tokyo_waits_for_eight_next_morning() -> None:
    at = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)  # 23:30 JST
    held = postponement(at, time_zone="Asia/Tokyo", country="JP", window=WINDOW)
    assert held is not None and held.reason == QUIET_HOURS
    assert held.until == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 08:00 JST on the 25th


def test_early_morning_waits_until_eight_the_same_day() -> None:
    at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 07:00 in Istanbul (UTC+3)
    held = postponement(at, time_zone="Europe/Istanbul", country="TR", window=WINDOW)
    assert held is not None and held.until == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_daytime_is_open_and_the_window_edges_are_exact() -> None:
    zone = "Europe/Budapest"  # UTC+1 in November
    assert (
        postponement(
            datetime(2026, 11, 24, 7, 0, tzinfo=UTC), time_zone=zone, country="HU", window=WINDOW
        )
        is None
    )  # 08:00 local opens
    assert (
        postponement(
            datetime(2026, 11, 24, 20, 0, tzinfo=UTC), time_zone=zone, country="HU", window=WINDOW
        )
        is not None
    )  # 21:00 local closes


def test_a_public_holiday_moves_delivery_to_the_next_open_day() -> None:
    window = DeliveryWindow(avoid_public_holidays=True)
    at = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 12:00 JST, Labour Thanksgiving Day
    held = postponement(at, time_zone="Asia/Tokyo", country="JP", window=window)
    assert held is not None and held.reason == PUBLIC_HOLIDAY
    assert held.until == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # Tue 24th, 08:00 JST


def test_weekend_days_are_the_recipient_countrys() -> None:
    window = DeliveryWindow(avoid_weekends=True)
    friday_noon_riyadh = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    held = postponement(friday_noon_riyadh, time_zone="Asia/Riyadh", country="SA", window=window)
    assert held is not None and held.reason == WEEKEND
    assert held.until == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)  # Sunday 08:00 in Riyadh
    friday_noon_istanbul = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert (
        postponement(friday_noon_istanbul, time_zone="Europe/Istanbul", country="TR", window=window)
        is None
    )
    assert weekend_days("SA") == {4, 5} and weekend_days("TR") == {5, 6}


def test_a_daytime_quiet_window_is_supported() -> None:
    lunch = DeliveryWindow(quiet_start=time(12, 0), quiet_end=time(13, 0))
    held = postponement(
        datetime(2026, 11, 24, 12, 30, tzinfo=UTC), time_zone="UTC", country=None, window=lunch
    )
    assert held is not None and held.until == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_business_days_skip_weekends_and_holidays() -> None:
    assert str(add_business_days(datetime(2026, 11, 20).date(), 1, "JP")) == "2026-11-24"
