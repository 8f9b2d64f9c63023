"""Render a template in the recipient's language, formats and time zone (CLDR data via Babel)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_name
from babel.numbers import format_currency, format_decimal

from rapport_notifications.domain.catalog import Catalog, Direction, MessageText, substitute
from rapport_notifications.domain.locales import negotiate
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.values import (
    LocalDate,
    LocalDateTime,
    Money,
    Number,
    Quantity,
    Text,
    Value,
)

_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True)
class Rendered:
    template: Template
    locale: str  # the catalog actually rendered, after fallback
    direction: Direction
    subject: str
    text: str
    html: str


def render(
    catalogs: Mapping[str, Catalog],
    template: Template,
    *,
    requested_locale: str | None,
    default_locale: str,
    time_zone: str,
    values: Mapping[str, Value],
) -> Rendered:
    chosen = negotiate(requested_locale, catalogs.keys(), default_locale)
    catalog = catalogs[chosen.catalog]
    message = catalog.message(template)
    locale = Locale.parse(chosen.formatting)
    formatted = {
        name: _format(value, name, message, locale, ZoneInfo(time_zone))
        for name, value in values.items()
    }
    subject = substitute(message.subject, formatted)
    body = substitute(message.body, formatted)
    return Rendered(
        template=template,
        locale=catalog.locale,
        direction=catalog.direction,
        subject=subject,
        text=body,
        html=_html(body, language=str(locale).replace("_", "-"), direction=catalog.direction),
    )


def _format(value: Value, name: str, message: MessageText, locale: Locale, zone: ZoneInfo) -> str:
    match value:
        case Text():
            return value.text
        case Number():
            return format_decimal(value.value, locale=locale)
        case Money():
            return format_currency(value.amount, value.currency, locale=locale)
        case LocalDate():
            return format_date(value.at.astimezone(zone), "long", locale=locale)
        case LocalDateTime():
            return local_date_time(value, locale, zone)
        case Quantity():
            variants = message.plurals[name]
            category = locale.plural_form(value.count)
            variant = variants.get(category, variants["other"])
            return substitute(variant, {"count": format_decimal(value.count, locale=locale)})


def local_date_time(value: LocalDateTime, locale: Locale, zone: ZoneInfo) -> str:
    """Full date, short time and the zone's name, joined the way the locale joins them."""
    local = value.at.astimezone(zone)
    pattern = str(locale.datetime_formats["full"]).replace("'", "")
    joined = pattern.replace("{1}", format_date(local, "full", locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )
    return f"{joined} {get_timezone_name(zone, 'long', locale=locale)}"


def _html(text: str, *, language: str, direction: Direction) -> str:
    """A minimal HTML part; ``dir`` makes right-to-left scripts display correctly."""
    paragraphs = "\n".join(
        f"<p>{_linked(html.escape(block)).replace(chr(10), '<br>')}</p>"
        for block in text.split("\n\n")
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{language}" dir="{direction}">\n'
        f'<head><meta charset="utf-8"></head>\n<body dir="{direction}">\n{paragraphs}\n</body>\n'
        "</html>\n"
    )


def _linked(escaped: str) -> str:
    return _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)
