"""Checks and normalizes customer data before anything is stored (pure; no network lookups).

Seed: "verify all new customer data before it enters the CRM". Each function returns the
normalized value or raises ``ValueError`` with a message naming what is wrong (never echoing the
value, which is personal data).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email

# CLDR territory codes that are not ISO 3166-1 countries (unions, "unknown", pseudo-locales).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
# Cc: C0/C1 controls and DEL; Zl/Zp: U+2028/U+2029; Cs: surrogates. Cf (format: ZWJ in emoji,
# right-to-left marks in Arabic names) stays allowed.
_REFUSED_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})


@functools.cache
def _countries() -> frozenset[str]:
    territories = Locale("en").territories
    codes = {code for code in territories if isinstance(code, str)}
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha()) - _NOT_COUNTRIES


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def email_address(value: str) -> str:
    """RFC 5322 syntax and a plausible domain; no DNS query (deliverability is not checked)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid e-mail address: {error}") from None


def phone_number(value: str, *, country: str | None) -> str:
    """E.164; a national number is read in the contact's country."""
    try:
        parsed = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number (give it in E.164, or with a valid country)") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number for its country")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def language_tag(value: str) -> str:
    """A BCP 47 tag CLDR knows, in canonical form (``tr-tr`` → ``tr-TR``)."""
    try:
        locale = Locale.parse(value, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError("not a BCP 47 language tag with CLDR data (e.g. tr-TR)") from None
    return str(locale).replace("_", "-")


def time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("not an IANA time zone (e.g. Europe/Istanbul)")
    return value


def country_code(value: str) -> str:
    code = value.upper()
    if code not in _countries():
        raise ValueError("not an ISO 3166-1 alpha-2 country code (e.g. TR)")
    return code


def currency_code(value: str) -> str:
    code = value.upper()
    if code not in list_currencies():
        raise ValueError("not an ISO 4217 currency code (e.g. TRY)")
    return code


_EXTERNAL_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
_EXTERNAL_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def external_source(value: str) -> str:
    """The other system's name, lower case: ``Zendesk`` and ``zendesk`` are one source."""
    source = value.strip().lower()
    if not _EXTERNAL_SOURCE.match(source):
        raise ValueError("a source is 1-32 of a-z, 0-9, '_', '.', '-' (e.g. zendesk)")
    return source


def external_id(value: str) -> str:
    """Ids are compared exactly (case matters in many systems), without surrounding spaces."""
    stripped = value.strip()
    if not _EXTERNAL_ID.match(stripped):
        raise ValueError("an external id is 1-128 printable ASCII characters without spaces")
    return stripped


def single_line(value: str) -> str:
    """No control characters (CR/LF would split an e-mail header or subject; NUL, ESC and the
    like corrupt logs and terminals), no line separators and no lone surrogates (unencodable)."""
    for character in value:
        if unicodedata.category(character) in _REFUSED_CATEGORIES:
            raise ValueError("must not contain control characters or line breaks")
    return value


def multi_line(value: str) -> str:
    """Like ``single_line`` but keeps line breaks and tabs (a summary of a phone call)."""
    single_line(value.replace("\r\n", "").replace("\n", "").replace("\t", ""))
    return value


def text(value: str, *, max_length: int) -> str:
    """Trimmed single-line free text that is neither empty nor absurdly long."""
    cleaned = " ".join(single_line(value).split())
    if not cleaned:
        raise ValueError("must not be blank")
    if len(cleaned) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    return cleaned
