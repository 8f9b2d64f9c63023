"""Every template in every locale reads as a native speaker would write it.

Rendered with and without a form of address, with amounts in currencies without everyday minor
units (HUF, JPY) and with, on every day of a month (each Hungarian day suffix and ordinal), in a
named zone and in UTC; each result is checked against the rules a native reading found broken.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from babel import Locale
from babel.numbers import get_currency_symbol

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.compose import compose
from rapport_notifications.domain.rendering import Rendered, render
from rapport_notifications.domain.templates import CATALOG_TEMPLATES, SPECS, Template
from services.notifications.tests.unit.samples import CONTEXT, FACTS, card, plan

CATALOGS = load_catalogs()
FORMS = (None, "feminine", "masculine", "neutral")
DAYS = [datetime(2026, 12, day, 10, 0, tzinfo=UTC) for day in range(1, 32)]
AMOUNTS = [("45000.50", "HUF"), ("12800", "JPY"), ("1234.50", "EUR")]
WHOLE_UNITS = {"HUF", "JPY"}
URL = re.compile(r"https?://\S+")
TAG = re.compile(r"<[^>]+>")
# Gender written as a slash or a bracket ("Estimado/a", "Sehr geehrte/r", "Prezado(a)",
# "tê-lo(a)", "السيد/السيدة"): a letter, then / or ( and one or two letters.
GENDER_SPLIT = re.compile(r"\w/\w|\w\(\w{1,2}\)")
DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")


def variants(template: Template) -> list[dict[str, str]]:
    """The facts to render with: every day where the template shows one, every currency."""
    facts = dict(FACTS[template])
    if template is Template.PURCHASE_THANK_YOU:
        return [
            {**facts, "amount": amount, "currency": currency, "occurred_at": day.isoformat()}
            for amount, currency in AMOUNTS
            for day in DAYS
        ]
    if template is Template.SURVEY_INVITATION:
        return [{**facts, "expires_at": day.isoformat()} for day in DAYS]
    if template is Template.COMPLAINT_ACKNOWLEDGEMENT:
        return [{**facts, "response_due_at": day.isoformat()} for day in DAYS[:3]]
    return [facts]


def rendered(
    locale: str, template: Template, facts: dict[str, str], form: str | None, zone: str
) -> Rendered:
    changes: dict[str, object] = {"language": locale, "time_zone": zone}
    if form is not None:
        changes["form_of_address"] = form
    recipient = card(**changes)
    return render(
        CATALOGS,
        template,
        requested_locale=locale,
        default_locale="en",
        time_zone=zone,
        values=compose(plan(template, facts=facts), recipient, CONTEXT),
    )


def broken_rules(message: Rendered, locale: str, facts: dict[str, str]) -> list[str]:
    text = URL.sub("", f"{message.subject}\n{message.text}")
    page = TAG.sub("", message.html)
    unknown_region = Locale.parse(locale).territories["ZZ"]
    problems = [
        rule
        for rule, broken in (
            ("a(z) left unresolved", "a(z)" in text.lower() or "a(z)" in page.lower()),
            ("doubled full stop", bool(DOUBLED_STOP.search(text) or DOUBLED_STOP.search(page))),
            ("gender split with / or ()", bool(GENDER_SPLIT.search(text))),
            ("Arabic split salutation", "السيد/السيدة" in text),
            ("unknown time zone", "Unknown Region" in text or unknown_region in text),
            ("placeholder left", "{" in text or "}" in text),
        )
        if broken
    ]
    currency = facts.get("currency")
    if currency in WHOLE_UNITS:
        problems += _decimals_shown(message.text, locale, currency)
    return problems


def _decimals_shown(text: str, locale: str, currency: str) -> list[str]:
    """Each amount next to the currency's symbol, if it has a decimal part."""
    symbol = re.escape(get_currency_symbol(currency, locale=locale))
    number = r"\d[\d\s.,\u066b\u066c]*\d|\d"
    amounts = re.findall(rf"(?:{symbol})\s?({number})|({number})\s?(?:{symbol})", text)
    if not amounts:
        return [f"no {currency} amount found"]
    decimal = Locale.parse(locale).number_symbols["latn"]["decimal"]
    return [
        f"{currency} with decimals: {found}"
        for pair in amounts
        for found in pair
        if re.search(rf"{re.escape(decimal)}\d+$", found)
    ]


@pytest.mark.parametrize("locale", sorted(CATALOGS))
@pytest.mark.parametrize("template", CATALOG_TEMPLATES)  # a campaign's wording is its author's
def test_every_rendering_follows_the_native_rules(locale: str, template: Template) -> None:
    zones = ("UTC",) if SPECS[template].internal else ("Europe/Budapest", "UTC")
    failures = [
        (
            form,
            zone,
            facts.get("currency"),
            facts.get("occurred_at") or facts.get("expires_at"),
            problem,
        )
        for facts in variants(template)
        for form in FORMS
        for zone in zones
        for problem in broken_rules(rendered(locale, template, facts, form, zone), locale, facts)
    ]
    assert failures == []


def opening(locale: str, form: str | None, name: str = "Anna Schmidt") -> str:
    changes: dict[str, object] = {"language": locale, "name": name}
    if form is not None:
        changes["form_of_address"] = form
    message = render(
        CATALOGS,
        Template.WELCOME,
        requested_locale=locale,
        default_locale="en",
        time_zone="UTC",
        values=compose(plan(Template.WELCOME), card(**changes), CONTEXT),
    )
    return message.text.splitlines()[0]


@pytest.mark.parametrize(
    ("locale", "form", "expected"),
    [
        ("de", "feminine", "Sehr geehrte Frau Anna Schmidt,"),
        ("de", "masculine", "Sehr geehrter Herr Anna Schmidt,"),
        ("de", "neutral", "Guten Tag Anna Schmidt,"),
        ("de", None, "Guten Tag Anna Schmidt,"),
        ("es", "feminine", "Estimada Anna Schmidt:"),
        ("es", "masculine", "Estimado Anna Schmidt:"),
        ("es", None, "Hola, Anna Schmidt:"),
        ("pt", "feminine", "Prezada Anna Schmidt,"),
        ("pt", "masculine", "Prezado Anna Schmidt,"),
        ("pt", None, "Olá, Anna Schmidt,"),
        ("ar", "feminine", "السيدة Anna Schmidt المحترمة،"),
        ("ar", "masculine", "السيد Anna Schmidt المحترم،"),
        ("ar", None, "مرحباً Anna Schmidt،"),
        ("fr", "feminine", "Bonjour Madame Anna Schmidt,"),
        ("fr", None, "Bonjour Anna Schmidt,"),
        ("hu", "feminine", "Tisztelt Anna Schmidt!"),  # Hungarian has no grammatical gender
        ("hu", None, "Tisztelt Anna Schmidt!"),
        ("tr", "masculine", "Sayın Anna Schmidt,"),
        ("en", "feminine", "Dear Anna Schmidt,"),
        ("ja", None, "Anna Schmidt 様"),
    ],
)
def test_the_salutation_follows_the_stored_form_of_address_else_is_neutral(
    locale: str, form: str | None, expected: str
) -> None:
    assert opening(locale, form) == expected


def test_a_hungarian_sentence_gets_the_article_day_suffix_and_one_full_stop() -> None:
    purchase = {
        **FACTS[Template.PURCHASE_THANK_YOU],
        "amount": "45000",
        "currency": "HUF",
        "occurred_at": "2026-12-01T10:00:00+00:00",
    }
    thanks = rendered("hu", Template.PURCHASE_THANK_YOU, purchase, None, "Europe/Budapest")
    assert (
        "Köszönjük 2026. december 1-jén leadott, 45\u00a0000\u00a0Ft összegű rendelését "
        "(ORD-7 számú megrendelés). Nagyra értékeljük, hogy a Rapport céget választotta."
    ) in thanks.text
    expiry = {**FACTS[Template.SURVEY_INVITATION], "expires_at": "2026-12-15T10:00:00+00:00"}
    survey = rendered("hu", Template.SURVEY_INVITATION, expiry, None, "Europe/Budapest")
    assert "érvényessége: 2026. december 15.\n" in survey.text
    assert survey.text.endswith("Tisztelettel:\na Rapport csapata")


def test_the_hungarian_day_suffix_is_used_for_every_day_of_a_month() -> None:
    suffixes = set()
    for day in DAYS:
        facts = {**FACTS[Template.PURCHASE_THANK_YOU], "occurred_at": day.isoformat()}
        text = rendered("hu", Template.PURCHASE_THANK_YOU, facts, None, "UTC").text
        found = re.search(rf"december {day.day}-(\w+) leadott", text)
        assert found, text
        suffixes.add(found.group(1))
    assert suffixes == {"jén", "án", "én"}


def test_the_checks_catch_what_they_look_for() -> None:
    """The rules are not vacuous: each fires on the wording rendered before they were kept."""
    for sample in ("Estimado/a Ana:", "Prezado(a) Ana,", "Sehr geehrte/r Anna", "tê-lo(a)"):
        assert GENDER_SPLIT.search(sample), sample
    assert not DOUBLED_STOP.search("várjon...")
    assert not GENDER_SPLIT.search(URL.sub("", "https://rapport.example/answers?token=a"))
    old = (
        "Estimado/a Ana: a(z) Rapport, 2026. december 15.. {brand} "
        "Unknown Region (UTC) Time, السيد/السيدة, 45\u00a0000,50\u00a0Ft"
    )
    before = Rendered(Template.PURCHASE_THANK_YOU, "hu", "ltr", "s", old, f"<p>{old}</p>")
    facts = {"amount": "45000.50", "currency": "HUF"}
    assert broken_rules(before, "hu", facts) == [
        "a(z) left unresolved",
        "doubled full stop",
        "gender split with / or ()",
        "Arabic split salutation",
        "unknown time zone",
        "placeholder left",
        "HUF with decimals: 45\u00a0000,50",
    ]
    assert [day.day for day in DAYS] == list(range(1, 32))


@pytest.mark.parametrize(
    ("brand", "expected"),
    [
        ("Rapport", "Köszönjük, hogy a Rapport szolgáltatásait"),  # the default brand
        ("Opten", "Köszönjük, hogy az Opten szolgáltatásait"),
        ("Ügyfélkapu", "Köszönjük, hogy az Ügyfélkapu szolgáltatásait"),
        ("1Password", "Köszönjük, hogy az 1Password szolgáltatásait"),  # egy…
        ("2Checkout", "Köszönjük, hogy a 2Checkout szolgáltatásait"),  # kettő…
        ("SMS.hu", "Köszönjük, hogy az SMS.hu szolgáltatásait"),  # es-em-es
    ],
)
def test_the_hungarian_article_follows_the_configured_brand(brand: str, expected: str) -> None:
    context = replace(CONTEXT, brand=brand)
    message = render(
        CATALOGS,
        Template.WELCOME,
        requested_locale="hu",
        default_locale="en",
        time_zone="UTC",
        values=compose(plan(Template.WELCOME), card(language="hu"), context),
    )
    assert expected in message.text
    assert message.text.endswith(f"\n{expected.split()[2]} {brand} csapata")
