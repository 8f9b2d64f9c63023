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

from rapport_kit.locales import negotiate
from rapport_notifications.domain.catalog import Catalog, Direction, MessageText, substitute
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.values import (
    Choice,
    LocalDate,
    LocalDateTime,
    Money,
    Number,
    Quantity,
    ScoreLinks,
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
    # Chosen wording may itself use the message's other placeholders (``{brand}``).
    plain = {name: text for name, text in formatted.items() if not isinstance(values[name], Choice)}
    for name, value in values.items():
        if isinstance(value, Choice):
            formatted[name] = substitute(formatted[name], plain)
    blocks = {
        name: _score_links_html(value, message)
        for name, value in values.items()
        if isinstance(value, ScoreLinks)
    }
    markers = {name: f"\x00{name}\x00" for name in blocks}
    html_body = substitute(message.body, {**formatted, **markers})
    language = str(locale).replace("_", "-")
    return Rendered(
        template=template,
        locale=catalog.locale,
        direction=catalog.direction,
        subject=substitute(message.subject, formatted),
        text=substitute(message.body, formatted),
        html=_html(html_body, language=language, direction=catalog.direction, blocks=blocks),
    )


def _format(  # noqa: PLR0911 — one return per kind of value
    value: Value, name: str, message: MessageText, locale: Locale, zone: ZoneInfo
) -> str:
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
        case ScoreLinks():
            return value.url
        case Choice():
            return message.choices[name][value.option]
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


def _html(text: str, *, language: str, direction: Direction, blocks: Mapping[str, str]) -> str:
    """A minimal HTML part; ``dir`` makes right-to-left scripts display correctly."""
    paragraphs = "\n".join(
        f"<p>{_linked(html.escape(block)).replace(chr(10), '<br>')}</p>"
        for block in text.split("\n\n")
    )
    for name, block in blocks.items():
        paragraphs = paragraphs.replace(f"\x00{name}\x00", block)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}" dir="{direction}">\n'
        f'<head><meta charset="utf-8"></head>\n<body dir="{direction}">\n{paragraphs}\n</body>\n'
        "</html>\n"
    )


def _linked(escaped: str) -> str:
    return _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)


_SCORE_STYLE = (
    "display:inline-block;min-width:2.2em;padding:6px 2px;margin:2px;border:2px solid #0b5cad;"
    "border-radius:4px;color:#0b5cad;font-weight:bold;text-align:center;text-decoration:none"
)


def _score_links_html(value: ScoreLinks, message: MessageText) -> str:
    """One link per score (each opens the page with it chosen), the scale's ends, the link."""
    separator = "&" if "?" in value.url else "?"
    links = " ".join(
        f'<a href="{html.escape(f"{value.url}{separator}score={score}")}" '
        f'style="{_SCORE_STYLE}">{score}</a>'
        for score in range(value.lowest, value.highest + 1)
    )
    low = html.escape(message.choices["scale_low"][value.option])
    high = html.escape(message.choices["scale_high"][value.option])
    url = html.escape(value.url)
    ends = f"<small>{low} · {high}</small>"
    return f'<span>{links}</span><br>{ends}<br><a href="{url}">{url}</a>'
