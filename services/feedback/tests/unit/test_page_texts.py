"""Every survey page locale has every text, in its own script and direction, and renders."""

from __future__ import annotations

import string

import pytest

from rapport_kit.pages import PageRenderer, load_page_texts

TEXTS = load_page_texts("rapport_feedback")
REQUIRED = {"en", "tr", "hu", "de", "es", "fr", "ja", "ar", "pt"}
PLACEHOLDERS = {"brand", "max"}


def test_every_required_locale_is_shipped_with_the_english_keys() -> None:
    assert set(TEXTS) >= REQUIRED
    for locale, texts in TEXTS.items():
        assert set(texts.texts) == set(TEXTS["en"].texts), locale
        assert all(text.strip() for text in texts.texts.values()), locale


@pytest.mark.parametrize("locale", sorted(TEXTS))
def test_texts_use_only_known_placeholders_and_arabic_alone_is_rtl(locale: str) -> None:
    texts = TEXTS[locale]
    for text in texts.texts.values():
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert names <= PLACEHOLDERS, (locale, text)
    assert texts.direction == ("rtl" if locale == "ar" else "ltr")
    if locale != "en":
        assert texts.texts["submit"] != TEXTS["en"].texts["submit"], "untranslated"


@pytest.mark.parametrize(
    ("requested", "chosen"),
    [("pt-BR", "pt"), ("tr-TR", "tr"), ("ar-SA", "ar"), ("zh-Hant-TW", "en"), (None, "en")],
)
def test_the_page_language_falls_back_like_the_notifications(
    requested: str | None, chosen: str
) -> None:
    renderer = PageRenderer.build(
        "rapport_feedback",
        TEXTS,
        default_locale="en",
        brand="Rapport",
        stylesheet=b"",
        stylesheet_path="/answers/static/survey.css",
    )
    assert renderer.texts(requested).locale == chosen
