"""CLDR plural categories and locale formats, through the real catalogs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

import pytest
from babel import Locale

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.rendering import local_date_time, money, render
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.values import (
    Choice,
    LocalDate,
    LocalDateTime,
    Money,
    Quantity,
    Text,
    Values,
)

CATALOGS = load_catalogs()


def follow_up(locale: str, days: int) -> str:
    values: Values = {
        "salutation": Choice(option="neutral"),
        "name": Text(text="N"),
        "brand": Text(text="B"),
        "reply_window": Quantity(count=days),
    }
    rendered = render(
        CATALOGS,
        Template.DETRACTOR_FOLLOW_UP,
        requested_locale=locale,
        default_locale="en",
        time_zone="UTC",
        values=values,
    )
    return rendered.text


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("en", 1, "within 1 business day "),
        ("en", 3, "within 3 business days "),
        ("de", 1, "innerhalb von 1 Werktag "),
        ("de", 2, "innerhalb von 2 Werktagen "),
        ("fr", 1, "1\u00a0jour ouvré"),
        ("fr", 5, "5\u00a0jours ouvrés"),
        ("es", 1, "1 día hábil"),
        ("es", 1_000_000, "1.000.000 de días hábiles"),
        ("ar", 1, "يوم عمل واحد"),
        ("ar", 2, "يومَي عمل"),
        ("ar", 3, "3 أيام عمل"),
        ("ar", 11, "11 يوم عمل"),
        ("ja", 2, "2営業日以内"),
    ],
)
def test_counts_use_the_locales_plural_category(locale: str, count: int, expected: str) -> None:
    assert expected in follow_up(locale, count)


def test_money_and_dates_follow_the_recipients_locale_and_time_zone() -> None:
    values: Values = {
        "salutation": Choice(option="neutral"),
        "name": Text(text="N"),
        "brand": Text(text="B"),
        "amount": Money(amount=Decimal("1234.5"), currency="TRY"),
        "order_ref": Text(text="O-1"),
        "purchased_on": LocalDate(at=datetime(2026, 11, 24, 22, 30, tzinfo=UTC)),
    }
    rendered = render(
        CATALOGS,
        Template.PURCHASE_THANK_YOU,
        requested_locale="tr-TR",
        default_locale="en",
        time_zone="Europe/Istanbul",
        values=values,
    )
    assert "₺1.234,50" in rendered.text
    assert "25 Kasım 2026" in rendered.text  # already the 25th in Istanbul


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("hu", "45000", "HUF", "45\u00a0000\u00a0Ft"),
        ("hu", "45000.50", "HUF", "45\u00a0001\u00a0Ft"),  # no fillér since 1999: rounded
        ("en", "45000", "HUF", "HUF\u00a045,000"),
        ("ja", "12800", "JPY", "￥12,800"),
        ("en", "12800.4", "JPY", "¥12,800"),
        ("tr", "1234.5", "TRY", "₺1.234,50"),  # a currency with kuruş keeps them
        ("de", "19.9", "EUR", "19,90\u00a0€"),
    ],
)
def test_money_shows_the_currencys_everyday_minor_units(
    locale: str, amount: str, currency: str, expected: str
) -> None:
    assert money(Money(amount=Decimal(amount), currency=currency), Locale.parse(locale)) == expected


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_every_time_zone_has_a_name_or_an_offset_never_an_unknown_region(locale: str) -> None:
    at = LocalDateTime(at=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    named = {
        zone: local_date_time(at, Locale.parse(locale), ZoneInfo(zone))
        for zone in available_timezones()
    }
    # CLDR's fallback for a zone without a name or a city ("Unknown Region (UTC) Time").
    unknown = Locale.parse(locale).territories["ZZ"]
    assert [zone for zone, text in named.items() if unknown in text] == []
    assert "Coordinated Universal Time" in named["UTC"] or locale != "en"


def test_an_alert_in_utc_names_utc_and_a_zone_without_a_name_its_offset() -> None:
    at = LocalDateTime(at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    english, hungarian = Locale.parse("en"), Locale.parse("hu")
    assert local_date_time(at, english, ZoneInfo("UTC")).endswith("Coordinated Universal Time")
    assert local_date_time(at, hungarian, ZoneInfo("UTC")).endswith("koordinált világidő")
    assert local_date_time(at, english, ZoneInfo("Etc/GMT+3")).endswith("6:00\u202fAM GMT-03:00")
    # A zone of a region keeps its everyday name, whatever the season.
    summer = LocalDateTime(at=datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    assert local_date_time(summer, english, ZoneInfo("Europe/Budapest")).endswith(
        "11:00\u202fAM Central European Time"
    )
    turkish = Locale.parse("tr")
    assert local_date_time(at, turkish, ZoneInfo("Europe/Istanbul")).endswith("Türkiye Saati")
