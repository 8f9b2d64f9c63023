"""The invitation names its survey; its HTML part has one-click scores, its text part one link."""

from __future__ import annotations

import re

import pytest

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.compose import compose
from rapport_notifications.domain.rendering import Rendered, render
from rapport_notifications.domain.templates import Template
from services.notifications.tests.unit.samples import CONTEXT, FACTS, card, plan

CATALOGS = load_catalogs()
RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def invitation(kind: str, locale: str = "en") -> Rendered:
    facts = {**FACTS[Template.SURVEY_INVITATION], "kind": kind}
    recipient = card(language=locale)
    return render(
        CATALOGS,
        Template.SURVEY_INVITATION,
        requested_locale=locale,
        default_locale="en",
        time_zone=recipient.time_zone,
        values=compose(plan(Template.SURVEY_INVITATION, facts=facts), recipient, CONTEXT),
    )


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_each_kind_of_survey_has_its_own_subject_and_question(locale: str) -> None:
    rendered = {kind: invitation(kind, locale) for kind in RANGES}
    assert len({r.subject for r in rendered.values()}) == 3
    assert len({r.text for r in rendered.values()}) == 3


@pytest.mark.parametrize("kind", sorted(RANGES))
def test_the_html_part_links_every_score_and_the_text_part_the_page_alone(kind: str) -> None:
    rendered = invitation(kind)
    link = "https://rapport.example/answers?token=signed-s-1"
    lowest, highest = RANGES[kind]
    scores = re.findall(
        r'href="https://rapport\.example/answers\?token=signed-s-1&amp;score=(\d+)"', rendered.html
    )
    assert scores == [str(score) for score in range(lowest, highest + 1)]
    assert rendered.text.count(link) == 1 and "score=" not in rendered.text
    assert f'href="{link}"' in rendered.html


def test_arabic_invitations_keep_the_score_row_inside_a_right_to_left_page() -> None:
    rendered = invitation("nps", "ar")
    assert 'dir="rtl"' in rendered.html and 'dir="ltr"' not in rendered.html
    assert "0 = غير محتمل على الإطلاق" in rendered.html
