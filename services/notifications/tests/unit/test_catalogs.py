"""Every catalog has every message, every placeholder and every plural form, and renders."""

from __future__ import annotations

import pytest
from babel import Locale

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.catalog import CatalogError, parse_catalog, placeholders
from rapport_notifications.domain.compose import compose
from rapport_notifications.domain.rendering import render
from rapport_notifications.domain.templates import CATALOG_TEMPLATES, SPECS, Template
from services.notifications.tests.unit.samples import CONTEXT, card, plan

CATALOGS = load_catalogs()
REQUIRED_LOCALES = {"en", "tr", "hu", "de", "es", "fr", "ja", "ar"}


def test_the_required_locales_are_shipped() -> None:
    assert set(CATALOGS) >= REQUIRED_LOCALES


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_catalog_has_every_message_with_exactly_its_placeholders(locale: str) -> None:
    catalog = CATALOGS[locale]
    assert set(catalog.messages) == {template.value for template in CATALOG_TEMPLATES}
    for template in CATALOG_TEMPLATES:
        spec = SPECS[template]
        message = catalog.message(template)
        chosen = {
            name
            for options in message.choices.values()
            for text in options.values()
            for name in placeholders(text)
        }
        used = placeholders(message.subject) | placeholders(message.body) | chosen
        assert used == spec.placeholders, (locale, template)
        assert set(message.date_forms) <= spec.days, (locale, template)
        assert set(message.plurals) == spec.plurals, (locale, template)
        assert {name: set(options) for name, options in message.choices.items()} == {
            name: set(options) for name, options in spec.choices.items()
        }, (locale, template)
        choice_texts = [text for options in message.choices.values() for text in options.values()]
        for text in choice_texts:
            assert text.strip() and placeholders(text) <= spec.placeholders, (locale, template)


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_plural_variants_cover_every_cldr_category_of_the_locale(locale: str) -> None:
    categories = set(Locale.parse(locale).plural_form.tags) | {"other"}
    for template in CATALOG_TEMPLATES:
        for name, variants in CATALOGS[locale].message(template).plurals.items():
            assert set(variants) == categories, (locale, template, name)
            for variant in variants.values():
                assert placeholders(variant) <= {"count"}, (locale, template, name)


@pytest.mark.parametrize("locale", sorted(CATALOGS))
@pytest.mark.parametrize("template", CATALOG_TEMPLATES)
def test_every_message_renders_in_every_locale(locale: str, template: Template) -> None:
    recipient = card(language=locale)
    rendered = render(
        CATALOGS,
        template,
        requested_locale=locale,
        default_locale="en",
        time_zone=recipient.time_zone,
        values=compose(plan(template), recipient, CONTEXT),
    )
    assert rendered.locale == locale
    assert "{" not in rendered.subject and "{" not in rendered.text
    assert rendered.subject.strip() and rendered.text.strip()
    assert f'dir="{rendered.direction}"' in rendered.html


def test_arabic_is_right_to_left_and_others_left_to_right() -> None:
    assert CATALOGS["ar"].direction == "rtl"
    assert {CATALOGS[name].direction for name in CATALOGS if name != "ar"} == {"ltr"}


def test_a_translator_cannot_smuggle_attribute_access_into_a_placeholder() -> None:
    with pytest.raises(CatalogError):
        placeholders("Dear {name.__class__}")
    with pytest.raises(CatalogError):
        parse_catalog("xx", {"messages": {"welcome": {"subject": "{brand!r}", "body": ""}}})
