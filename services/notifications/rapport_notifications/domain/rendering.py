"""Render a template in the recipient's language, formats and time zone (CLDR data via Babel)."""

from __future__ import annotations

import copy
import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from babel.dates import format_date, format_time, get_timezone_name
from babel.numbers import format_decimal, get_currency_symbol

from rapport_kit.locales import negotiate
from rapport_notifications.domain import hungarian
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

# Wording a language settles only once the placeholders are in (by language, e.g. "hu").
_FINISHERS: dict[str, Callable[[str], str]] = {"hu": hungarian.finish}


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
    finish = _FINISHERS.get(locale.language, str)
    html_body = finish(substitute(message.body, {**formatted, **markers}))
    language = str(locale).replace("_", "-")
    return Rendered(
        template=template,
        locale=catalog.locale,
        direction=catalog.direction,
        subject=finish(substitute(message.subject, formatted)),
        text=finish(substitute(message.body, formatted)),
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
            return money(value, locale)
        case LocalDate():
            return local_date(value, message.date_forms.get(name), locale, zone)
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


def money(value: Money, locale: Locale) -> str:
    """The amount in the currency's everyday minor units: CLDR's cash digits (ISO 4217 keeps
    two for the forint, but fillér went out in 1999: "45 000 Ft"; the yen has none)."""
    digits = _cash_digits(value.currency)
    amount = value.amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    pattern = copy.copy(locale.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    text = pattern.apply(amount, locale, currency=value.currency, currency_digits=False)
    return _spaced_symbol(text, get_currency_symbol(value.currency, locale=locale))


def _spaced_symbol(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol that ends (or starts) with a
    letter is kept apart from the digits by a no-break space ("HUF 45,000", not "HUF45,000")."""
    at = text.find(symbol)
    if at < 0 or not symbol:
        return text
    end = at + len(symbol)
    if end < len(text) and text[end].isdigit() and _is_letterlike(symbol[-1]):
        return f"{text[:end]}\u00a0{text[end:]}"
    if at > 0 and text[at - 1].isdigit() and _is_letterlike(symbol[0]):
        return f"{text[:at]}\u00a0{text[at:]}"
    return text


def _is_letterlike(character: str) -> bool:
    # CLDR's currencyMatch: neither a symbol (S*) nor a separator (Z*).
    return not unicodedata.category(character).startswith(("S", "Z"))


def _cash_digits(currency: str) -> int:
    fractions = get_global("currency_fractions")
    _, _, cash_digits, _ = fractions.get(currency, fractions["DEFAULT"])
    return int(cash_digits)


def local_date(value: LocalDate, form: str | None, locale: Locale, zone: ZoneInfo) -> str:
    """The long date; as the day something happens ("on") where the language marks it."""
    day = value.at.astimezone(zone).date()
    if form == "on" and locale.language == "hu":
        return hungarian.on_day(day, locale)
    return format_date(day, "long", locale=locale)


def local_date_time(value: LocalDateTime, locale: Locale, zone: ZoneInfo) -> str:
    """Full date, short time and the zone's name, joined the way the locale joins them."""
    local = value.at.astimezone(zone)
    pattern = str(locale.datetime_formats["full"]).replace("'", "")
    joined = pattern.replace("{1}", format_date(local, "full", locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )
    return f"{joined} {zone_name(local, locale)}"


def zone_name(local: datetime, locale: Locale) -> str:
    """The zone's everyday (generic) name, "Türkiye Saati", "Central European Time"; a zone of no
    region (UTC, Etc/GMT+3) has none, and CLDR would call it "Unknown Region (UTC) Time": its
    name at that moment instead ("Coordinated Universal Time"), else its offset ("GMT-03:00")."""
    zone = get_global("zone_aliases").get(str(local.tzinfo), str(local.tzinfo))
    if get_global("zone_territories").get(zone, _NO_REGION) not in _NO_REGIONS:
        return get_timezone_name(local.tzinfo, "long", locale=locale)
    return get_timezone_name(local, "long", locale=locale)


_NO_REGION = "ZZ"  # CLDR's unknown region
_NO_REGIONS = frozenset({_NO_REGION, "001"})  # 001: the world (Etc/Unknown)


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
