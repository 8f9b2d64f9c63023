"""Every non-transactional message carries signed preference and one-click unsubscribe links:
in its text, in its HTML and, on e-mail, in the RFC 8058 headers; transactional ones do not."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from rapport_kit.signed_links import PREFERENCES, UNSUBSCRIBE, verify_link
from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.adapters.channels.email import build_email
from rapport_notifications.adapters.footer_files import load_footers
from rapport_notifications.domain.compose import compose
from rapport_notifications.domain.footer import Unsubscribing
from rapport_notifications.domain.rendering import Rendered, render
from rapport_notifications.domain.templates import Template
from rapport_notifications.service_layer.ports import OutgoingMessage
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas.common import Purpose
from services.notifications.tests.unit.samples import CONTEXT, NOW, card, plan
from services.notifications.tests.unit.test_survey_invitation import CATALOGS, invitation

SETTINGS = NotificationsSettings()  # the shipped defaults: links to contacts on 8001
FOOTERS = load_footers()
UNSUBSCRIBING = Unsubscribing(SETTINGS.customer_links(), FOOTERS, "en")


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_every_catalog_locale_has_the_unsubscribe_line() -> None:
    assert set(FOOTERS) == set(load_catalogs())
    assert all(texts.preferences and texts.unsubscribe for texts in FOOTERS.values())


def test_the_links_are_signed_for_the_contact_and_the_messages_purpose() -> None:
    links = SETTINGS.customer_links().links("ct_1", Purpose.SURVEYS, NOW)
    keys = SETTINGS.link_keys()
    assert links.preferences.startswith("http://127.0.0.1:8001/preferences?token=")
    assert links.one_click.startswith("http://127.0.0.1:8001/unsubscribe?token=")
    preferences = verify_link(_token(links.preferences), purpose=PREFERENCES, keys=keys, now=NOW)
    unsubscribe = verify_link(_token(links.one_click), purpose=UNSUBSCRIBE, keys=keys, now=NOW)
    assert (preferences.subject, unsubscribe.subject) == ("ct_1", "ct_1.surveys")
    assert unsubscribe.expires_at == NOW + timedelta(days=90)
    mailto = urlsplit(links.mailto)
    assert (mailto.scheme, mailto.path) == ("mailto", "unsubscribe@rapport.local")
    assert unquote(mailto.query) == f"subject=unsubscribe {_token(links.one_click)}"


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_an_invitation_carries_both_links_in_its_language(locale: str) -> None:
    rendered, links = UNSUBSCRIBING.apply(
        Template.SURVEY_INVITATION, "ct_1", invitation("nps", locale), NOW
    )
    assert links is not None
    texts = FOOTERS[locale]
    assert rendered.text.endswith(
        f"{texts.preferences}: {links.preferences}\n{texts.unsubscribe}: {links.one_click}"
    )
    assert f'href="{links.one_click.replace("&", "&amp;")}"' in rendered.html
    assert rendered.html.rstrip().endswith("</body>\n</html>")


def test_a_transactional_message_has_no_unsubscribe() -> None:
    welcome = _welcome()
    assert UNSUBSCRIBING.apply(Template.WELCOME, "ct_1", welcome, NOW) == (welcome, None)
    mail = build_email(OutgoingMessage("n-1", "ct_1", "a@example.org", welcome), sender="x@y.z")
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None


def test_a_non_transactional_email_has_the_rfc_8058_headers() -> None:
    rendered, links = UNSUBSCRIBING.apply(
        Template.SURVEY_INVITATION, "ct_1", invitation("csat"), NOW
    )
    message = OutgoingMessage("n-2", "ct_1", "a@example.org", rendered, links)
    mail = build_email(message, sender="x@y.z")
    assert links is not None
    assert str(mail["List-Unsubscribe"]) == f"<{links.one_click}>, <{links.mailto}>"
    wire = mail.as_bytes().decode("ascii")
    assert f"List-Unsubscribe: <{links.one_click}>,\n <{links.mailto}>\n" in wire
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def _welcome() -> Rendered:
    return render(
        CATALOGS,
        Template.WELCOME,
        requested_locale="en",
        default_locale="en",
        time_zone="UTC",
        values=compose(plan(Template.WELCOME), card(), CONTEXT),
    )
