"""Hungarian articles, ordinal dots and day suffixes, by the rules a Hungarian reader applies."""

from __future__ import annotations

from datetime import date

import pytest
from babel import Locale

from rapport_notifications.domain.hungarian import (
    article,
    day_suffix,
    on_day,
    resolve_articles,
    single_ordinal_dot,
)


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        ("Rapport csapata", "a"),  # the brand: a consonant
        ("Ön által", "az"),
        ("Öröm Kft.", "az"),
        ("Ügyfélszolgálat", "az"),
        ("Erste Bank", "az"),
        ("ügyfélszolgálata", "az"),
        ("Telekom", "a"),
        ("„Rapport” csapata", "a"),  # quotation marks are not sounds
        ("(Opten)", "az"),
        ("SMS", "az"),  # es-em-es: read letter by letter, begins with a vowel
        ("MTI", "az"),  # em-té-í
        ("RTL Klub", "az"),  # er-té-el
        ("HBO", "a"),  # há-bé-ó
        ("MOL Nyrt.", "a"),  # read as a word: mol
        ("NATO", "a"),
        ("OTP Bank", "az"),
    ],
)
def test_the_article_follows_the_first_sound_of_a_word(following: str, expected: str) -> None:
    assert article(following) == expected


@pytest.mark.parametrize(
    ("following", "expected"),
    [
        ("1. helyezett", "az"),  # egy / első
        ("2. helyezett", "a"),  # kettő / második
        ("3", "a"),
        ("4", "a"),
        ("5. napon", "az"),  # öt / ötödik
        ("6", "a"),
        ("7", "a"),
        ("8", "a"),
        ("9", "a"),
        ("10", "a"),  # tíz
        ("11", "a"),  # tizenegy
        ("15", "a"),  # tizenöt
        ("21", "a"),  # huszonegy
        ("50", "az"),  # ötven
        ("55", "az"),
        ("100", "a"),  # száz
        ("150", "a"),  # százötven
        ("500", "az"),  # ötszáz
        ("1000", "az"),  # ezer
        ("1\u00a0500 Ft", "az"),  # ezerötszáz, digits grouped as Babel writes them
        ("2026. december", "a"),  # kétezer-huszonhat
        ("5000", "az"),  # ötezer
        ("10\u00a0000 Ft", "a"),  # tízezer
        ("45\u00a0000 Ft", "a"),  # negyvenötezer
        ("50\u00a0000 Ft", "az"),  # ötvenezer
        ("1\u00a0000\u00a0000", "az"),  # egymillió
        ("1,5 óra", "az"),  # egy egész öt
        ("5 nap", "az"),  # a lone 5 followed by a word is not a digit group
    ],
)
def test_the_article_before_a_number_follows_how_it_is_read(following: str, expected: str) -> None:
    assert article(following) == expected


def test_a_z_is_resolved_everywhere_keeping_a_capital_and_the_spacing() -> None:
    text = "A(z) Rapport csapata és a(z) Ön ügyintézője; a(z)\nOpten; a(z) 1. és a(z) 2. hely."
    assert resolve_articles(text) == (
        "A Rapport csapata és az Ön ügyintézője; az\nOpten; az 1. és a 2. hely."
    )


def test_a_word_merely_ending_in_a_is_left_alone() -> None:
    assert resolve_articles("Kasza(z) Rapport") == "Kasza(z) Rapport"


def test_an_ordinal_dot_ends_the_sentence_once() -> None:
    assert single_ordinal_dot("érvényessége: 2026. december 15..") == (
        "érvényessége: 2026. december 15."
    )
    assert single_ordinal_dot("a 3.. pont") == "a 3. pont"
    assert single_ordinal_dot("várjon 5...") == "várjon 5..."  # an ellipsis stays
    assert single_ordinal_dot("Tisztelettel.. ") == "Tisztelettel.. "  # only after a digit


# Each day of the month as a Hungarian says "on the Nth": elsején, másodikán, harmadikán…
ON_THE_DAY = {
    1: "jén", 2: "án", 3: "án", 4: "én", 5: "én", 6: "án", 7: "én", 8: "án", 9: "én",
    10: "én", 11: "én", 12: "én", 13: "án", 14: "én", 15: "én", 16: "án", 17: "én", 18: "án",
    19: "én", 20: "án", 21: "én", 22: "én", 23: "án", 24: "én", 25: "én", 26: "án", 27: "én",
    28: "án", 29: "én", 30: "án", 31: "én",
}  # fmt: skip


@pytest.mark.parametrize(("day", "suffix"), sorted(ON_THE_DAY.items()))
def test_the_day_suffix_follows_the_ordinals_pronunciation(day: int, suffix: str) -> None:
    assert day_suffix(day) == suffix


def test_a_date_reads_as_the_day_something_happens_on() -> None:
    hungarian = Locale.parse("hu")
    assert on_day(date(2026, 12, 1), hungarian) == "2026. december 1-jén"
    assert on_day(date(2026, 12, 15), hungarian) == "2026. december 15-én"
    assert on_day(date(2027, 1, 2), hungarian) == "2027. január 2-án"
