"""Hungarian wording that depends on the words a placeholder brings in.

Hungarian has two definite articles, chosen by the *sound* that begins the next word ("a Rapport",
"az Ön", "az 1.", "az SMS"); its ordinal numbers end in a dot, which ends a sentence too
("… 2026. december 15."); and a date takes a case suffix that follows the day's pronunciation
("december 1-jén", "2-án", "15-én"). Translators write the article as ``a(z)`` before a
placeholder (the usual notation when the next word is not known); the renderer resolves it here.
"""

from __future__ import annotations

import re
from datetime import date

from babel import Locale
from babel.dates import format_date

_VOWELS = frozenset("aáeéiíoóöőuúüűAÁEÉIÍOÓÖŐUÚÜŰ")
# Letters whose Hungarian names begin with a vowel: ef, el, em, en, er, es, iksz, ipszilon.
_VOWEL_NAMED_LETTERS = frozenset("FLMNRSXY")
_ARTICLE = re.compile(r"\b([Aa])\(z\)(\s+)")
_DOUBLED_ORDINAL_DOT = re.compile(r"(?<=\d\.)\.(?!\.)")
# A number as the reader sees it: digit groups of three after a (no-break) space ("45 000").
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_OPENING_MARKS = "\"'„“”«»‘’(["


def article(following: str) -> str:
    """``a`` or ``az`` before ``following`` (the text after the article), by its first sound."""
    following = following.lstrip(_OPENING_MARKS)
    if not following:
        return "a"
    number = _NUMBER.match(following)
    if number:
        digits = re.sub(r"\D", "", number.group(0))
        return "az" if _number_starts_with_vowel(int(digits)) else "a"
    word = following.split(maxsplit=1)[0]
    first = word[0]
    if _is_spelled_out(word):
        return "az" if first in _VOWELS or first in _VOWEL_NAMED_LETTERS else "a"
    return "az" if first in _VOWELS else "a"


def _is_spelled_out(word: str) -> bool:
    """An abbreviation read letter by letter (SMS, SMS.hu, MTI, HBO): a run of capitals that
    starts with two consonants; one read as a word (MOL, NATO) starts like any other word."""
    run = _LETTERS.match(word)
    letters = run.group(0) if run else ""
    return (
        len(letters) >= 2  # one capital is an initial, read as a word
        and letters.isupper()
        and not set(letters[:2]) & _VOWELS
    )


def _number_starts_with_vowel(number: int) -> bool:
    """True when the number's Hungarian reading begins with a vowel.

    Of the words a reading can start with, only "egy" (1), "öt" (5) and "ezer" (1000, said
    without "egy") begin with a vowel: so a leading digit 5 (öt, ötven, ötszáz, ötezer…), or a
    leading group of exactly 1 (egy, ezer, egymillió…); 10–19 (tíz…), 100–199 (száz…) do not.
    """
    leading_group = number
    while leading_group >= 1000:  # groups of three digits
        leading_group //= 1000
    return str(number)[0] == "5" or leading_group == 1


def resolve_articles(text: str) -> str:
    """Every ``a(z) word`` (or ``A(z)`` at a sentence start) becomes ``a``/``az word``."""

    def resolved(match: re.Match[str]) -> str:
        capital, space = match.groups()
        chosen = article(text[match.end() :])
        return f"{chosen.capitalize() if capital == 'A' else chosen}{space}"

    return _ARTICLE.sub(resolved, text)


def single_ordinal_dot(text: str) -> str:
    """An ordinal's dot also ends the sentence: "december 15.." is written "december 15."."""
    return _DOUBLED_ORDINAL_DOT.sub("", text)


def finish(text: str) -> str:
    return single_ordinal_dot(resolve_articles(text))


def day_suffix(day: int) -> str:
    """The case ending of a day of the month in "on <date>" (temporal superessive).

    It follows the ordinal's pronunciation: elsején (1-jén), másodikán (2-án), but
    tizenkettedikén (12-én); harmadikán (3-án), tizedikén (10-én), huszadikán (20-án)…
    """
    if day == 1:
        return "jén"
    if day == 2:  # "második" is irregular; 12 and 22 say "kettedik"
        return "án"
    if day % 10 == 0:
        return "én" if day == 10 else "án"  # tizedik vs huszadik, harmincadik
    return "án" if day % 10 in (3, 6, 8) else "én"


def on_day(day: date, locale: Locale) -> str:
    """The date as the day something happens on: "2026. december 1-jén"."""
    return f"{format_date(day, 'y. MMMM', locale=locale)} {day.day}-{day_suffix(day.day)}"
