"""CLDR plural categories and locale formats, through the real catalogs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.rendering import render
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.values import LocalDate, Money, Quantity, Text, Values

CATALOGS = load_catalogs()


def follow_up(locale: str, days: int) -> str:
    values: Values = {
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
