"""The preference center's rules: what a customer's choices change and publish, the one-click
withdrawal, reading the posted form, and the pages' wording in every locale."""

from __future__ import annotations

import string
from datetime import UTC, datetime, time, timedelta

import pytest
from starlette.datastructures import FormData

from rapport_contacts.domain import model, preferences
from rapport_contacts.domain.preferences import Preferences
from rapport_contacts.entrypoints.preference_form import Problem, Submitted, choices, kept_language
from rapport_kit.pages import load_page_texts
from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactProfile,
    ContactUpdated,
    QuietHours,
)

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Zeynep Kaya", language="tr-TR", time_zone="Europe/Istanbul", country="TR", currency="TRY"
)
TEXTS = load_page_texts("rapport_contacts")


def contact() -> model.Contact:
    email = Consent(
        channel=Channel.EMAIL, granted=True, source="form", changed_at=NOW - timedelta(days=3)
    )
    registered, _ = model.register_contact(PROFILE, (email,), referred_by=None, now=NOW)
    return registered


def test_the_current_preferences_follow_the_channel_consent() -> None:
    shown = preferences.current(contact())
    assert shown.consented == {(Channel.EMAIL, purpose) for purpose in Purpose}
    assert (shown.preferred_channel, shown.language, shown.quiet_hours) == (
        Channel.EMAIL,
        "tr-TR",
        None,
    )


def test_choosing_publishes_only_what_changed_with_its_source_and_time() -> None:
    quiet = QuietHours(start=time(22), end=time(7))
    chosen = Preferences(
        frozenset({(Channel.EMAIL, Purpose.SERVICE), (Channel.SMS, Purpose.SERVICE)}),
        Channel.EMAIL,
        "tr-TR",
        quiet,
    )
    changed, events = preferences.choose(contact(), chosen, now=NOW)
    consents = [e.consent for e in events if isinstance(e, ContactConsentChanged)]
    assert sorted((c.channel, c.purpose, c.granted) for c in consents) == [
        (Channel.EMAIL, Purpose.MARKETING, False),
        (Channel.EMAIL, Purpose.SURVEYS, False),
        (Channel.SMS, Purpose.SERVICE, True),
    ]
    assert {(c.source, c.changed_at) for c in consents} == {("preference-center", NOW)}
    updates = [e for e in events if isinstance(e, ContactUpdated)]
    assert [(u.changed_fields, u.source, u.updated_at) for u in updates] == [
        (("quiet_hours",), "preference-center", NOW)
    ]
    assert preferences.current(changed) == chosen
    assert preferences.choose(changed, chosen, now=NOW) == (changed, [])


def test_one_click_withdraws_one_purpose_once() -> None:
    changed, events = preferences.unsubscribe(contact(), Channel.EMAIL, Purpose.SURVEYS, now=NOW)
    assert [(e.consent.purpose, e.consent.granted, e.consent.source) for e in events] == [  # type: ignore[attr-defined]
        (Purpose.SURVEYS, False, "one-click-unsubscribe")
    ]
    assert (Channel.EMAIL, Purpose.MARKETING) in preferences.current(changed).consented
    assert preferences.unsubscribe(changed, Channel.EMAIL, Purpose.SURVEYS, now=NOW) == (
        changed,
        [],
    )


def _posted(**fields: str | list[str]) -> Submitted:
    items = [
        (name, value)
        for name, values in fields.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return Submitted.read(FormData(items))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"consent": ["email:pigeon"]}, "consent"),
        ({"preferred_channel": "fax"}, "preferred_channel"),
        ({"language": "xx"}, "language"),
        ({"quiet_start": "22:00"}, "quiet_hours"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_hours"),
    ],
)
def test_a_choice_not_offered_names_its_field(fields: dict[str, str], field: str) -> None:
    base = {"token": "t", "preferred_channel": "email", "language": "tr"}
    problem = choices(_posted(**{**base, **fields}), languages=TEXTS, current=Channel.EMAIL)
    assert isinstance(problem, Problem) and problem.field == field


def test_unchecked_boxes_are_withdrawn_and_empty_quiet_hours_mean_the_default() -> None:
    posted = _posted(token="t", consent=["sms:surveys"], preferred_channel="sms", language="ar")
    chosen = choices(posted, languages=TEXTS, current=Channel.EMAIL)
    assert chosen == Preferences(
        frozenset({(Channel.SMS, Purpose.SURVEYS)}), Channel.SMS, "ar", None
    )
    assert kept_language("pt", "pt-BR", lambda tag: tag.split("-")[0]) == "pt-BR"
    assert kept_language("de", "pt-BR", lambda tag: tag.split("-")[0]) == "de"


def test_every_locale_has_every_text_with_known_placeholders() -> None:
    assert set(TEXTS) == {"en", "tr", "hu", "de", "es", "fr", "ja", "ar", "pt"}
    for locale, texts in TEXTS.items():
        assert set(texts.texts) == set(TEXTS["en"].texts), locale
        assert texts.direction == ("rtl" if locale == "ar" else "ltr")
        for text in texts.texts.values():
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert names <= {"brand", "field"}, (locale, text)
        if locale != "en":
            assert texts.texts["save"] != TEXTS["en"].texts["save"], f"{locale} untranslated"
