"""SLA deadlines in the customer's business calendar, against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rapport_contacts.domain.calendar import SlaPolicy, add_business_hours, email_deadline
from rapport_schemas.common import Channel

POLICY = SlaPolicy(business_hours={Channel.LIVE_CHAT: 2})
ISTANBUL = POLICY.calendar(time_zone="Europe/Istanbul", country="TR")
RIYADH = POLICY.calendar(time_zone="Asia/Riyadh", country="SA")
LOS_ANGELES = POLICY.calendar(time_zone="America/Los_Angeles", country="US")


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))  # type: ignore[misc]


def test_complaint_the_evening_before_a_turkish_public_holiday_is_due_the_day_after_it() -> None:
    # Mon 18 May 2026, 20:00 in Istanbul; Tue 19 May is Atatürk Commemoration Day (a holiday),
    # so the next business day is Wed 20 May: due 18:00 +03:00 = 15:00 UTC.
    received = local("Europe/Istanbul", 2026, 5, 18, 20, 0)
    assert email_deadline(ISTANBUL, received) == datetime(2026, 5, 20, 15, 0, tzinfo=UTC)


def test_complaint_the_evening_before_the_feast_of_sacrifice_waits_for_the_week_after() -> None:
    # Tue 26 May 2026 21:00 Istanbul; Kurban Bayramı is Wed 27 – Sat 30 May, Sun 31 is weekend:
    # next business day Mon 1 June, 18:00 +03:00.
    received = local("Europe/Istanbul", 2026, 5, 26, 21, 0)
    assert email_deadline(ISTANBUL, received) == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


def test_riyadh_thursday_evening_skips_the_friday_saturday_weekend() -> None:
    # Thu 19 Nov 2026 20:00 Riyadh (+03:00): Friday and Saturday are the weekend in Saudi Arabia,
    # so the next business day is Sun 22 Nov, 18:00 +03:00 = 15:00 UTC.
    received = local("Asia/Riyadh", 2026, 11, 19, 20, 0)
    assert email_deadline(RIYADH, received) == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    # The same moment in Istanbul (Saturday–Sunday weekend) is due on the Friday.
    assert email_deadline(ISTANBUL, received) == datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_deadline_crossing_midnight_utc_in_a_zone_behind_utc() -> None:
    # Fri 20 Nov 2026 17:00 in Los Angeles is already Saturday 01:00 UTC: computing in UTC would
    # call it a weekend mail. Locally Friday is a business day, so it is due Monday 18:00 PST,
    # which is Tuesday 02:00 UTC.
    received = local("America/Los_Angeles", 2026, 11, 20, 17, 0)
    assert received.astimezone(UTC).weekday() == 5
    assert email_deadline(LOS_ANGELES, received) == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_mail_received_on_a_weekend_is_due_at_the_end_of_the_next_business_day() -> None:
    # Rule changed (issue 16): Sat 21 Nov 2026 10:00 Istanbul; the next business day is Mon 23,
    # due at its end, 18:00 +03:00 (it was Tue 24 when Monday counted as the "same" day).
    received = local("Europe/Istanbul", 2026, 11, 21, 10, 0)
    assert email_deadline(ISTANBUL, received) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_riyadh_saturday_noon_is_due_sunday_at_the_end_of_the_day() -> None:
    # Sat 21 Nov 2026 12:00 Riyadh, weekend Friday–Saturday: the next business day is Sun 22,
    # due 18:00 +03:00 = 15:00 UTC (not Monday: Sunday is the "next business day" itself).
    received = local("Asia/Riyadh", 2026, 11, 21, 12, 0)
    assert email_deadline(RIYADH, received) == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    # Friday (weekend) and Thursday evening (after 18:00) are due the same Sunday 18:00.
    for day, hour in ((20, 9), (19, 19)):
        received = local("Asia/Riyadh", 2026, 11, day, hour, 0)
        assert email_deadline(RIYADH, received) == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def test_istanbul_mail_on_a_holiday_eve_and_during_the_feast() -> None:
    # Kurban Bayramı 2025 is Fri 6 – Mon 9 June (Sat–Sun 7–8 the weekend); the eve, Thu 5 June,
    # is a business day in the holidays calendar. Mail of the eve at 10:00 may be answered that
    # day or by the end of the next business day, Tue 10 June 18:00 +03:00 = 15:00 UTC; mail of
    # Sat 7 June (in the feast) is due the same Tuesday evening.
    for day in (5, 7):
        received = local("Europe/Istanbul", 2025, 6, day, 10, 0)
        assert email_deadline(ISTANBUL, received) == datetime(2025, 6, 10, 15, 0, tzinfo=UTC)


def test_tokyo_friday_evening_skips_the_weekend_and_a_substitute_holiday() -> None:
    # Fri 21 Nov 2025 19:00 Tokyo (+09:00, after closing): Sun 23 is Labour Thanksgiving Day and
    # Mon 24 its substitute holiday, so the next business day is Tue 25: 18:00 JST = 09:00 UTC.
    tokyo = POLICY.calendar(time_zone="Asia/Tokyo", country="JP")
    received = local("Asia/Tokyo", 2025, 11, 21, 19, 0)
    assert email_deadline(tokyo, received) == datetime(2025, 11, 25, 9, 0, tzinfo=UTC)
    # Received on that Monday (a holiday) it is due the same Tuesday evening.
    received = local("Asia/Tokyo", 2025, 11, 24, 10, 0)
    assert email_deadline(tokyo, received) == datetime(2025, 11, 25, 9, 0, tzinfo=UTC)


def test_business_hours_carry_over_the_night() -> None:
    # Tue 24 Nov 17:30: 30 minutes left that day, 90 minutes from Wed 09:00 → Wed 10:30 +03:00.
    received = local("Europe/Istanbul", 2026, 11, 24, 17, 30)
    due = add_business_hours(ISTANBUL, received, timedelta(hours=2))
    assert due == datetime(2026, 11, 25, 7, 30, tzinfo=UTC)


def test_business_hours_start_at_opening_time() -> None:
    received = local("Europe/Istanbul", 2026, 11, 24, 7, 0)
    due = POLICY.due_at(ISTANBUL, Channel.LIVE_CHAT, received)
    assert due == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 11:00 +03:00


def test_channels_without_a_window_follow_the_email_rule() -> None:
    received = local("Europe/Istanbul", 2026, 11, 24, 10, 0)
    assert POLICY.due_at(ISTANBUL, Channel.WEB, received) == email_deadline(ISTANBUL, received)


def test_a_country_the_holidays_package_does_not_know_still_has_weekends() -> None:
    calendar = POLICY.calendar(time_zone="Antarctica/Troll", country="AQ")
    friday = local("Antarctica/Troll", 2026, 11, 20, 10, 0)
    assert calendar.next_business_day(friday.date()) == datetime(2026, 11, 23).date()
