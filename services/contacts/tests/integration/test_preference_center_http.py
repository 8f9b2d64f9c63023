"""The preference center and the one-click unsubscribe over HTTP, against the real broker and
MongoDB-wire server: GETs change nothing, every change is published with its source and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rapport_contacts.bootstrap import create_app
from rapport_kit.signed_links import PREFERENCES, SURVEY_ANSWER, UNSUBSCRIBE, LinkClaims, sign_link
from rapport_schemas import decode
from rapport_schemas.common import Channel, Purpose
from rapport_schemas.contacts import ContactConsentChanged, ContactUpdated
from tests.support.kafka import read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


def _token(settings: Any, purpose: str, subject: str, days: float = 30) -> str:
    expires_at = datetime.now(UTC) + timedelta(days=days)
    return sign_link(LinkClaims(purpose, subject, expires_at), settings.link_keys()[0])


async def _registered(client: httpx.AsyncClient, profile: Any, **overrides: Any) -> str:
    consent = {"channel": "email", "granted": True, "source": "web-form"}
    body = {"profile": profile(**overrides), "consents": [{**consent, "changed_at": _ago(9)}]}
    registered = await client.post("/contacts", json=body)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["contact_id"])


def _ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def test_the_page_shows_and_saves_consents_channel_language_and_quiet_hours(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        contact_id = await _registered(client, profile, language="pt-BR", country="BR", phone=None)
        token = _token(settings, PREFERENCES, contact_id)
        page = await client.get("/preferences", params={"token": token})
        assert page.status_code == 200, page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert '<html lang="pt" dir="ltr">' in page.text
        assert page.text.count("checked") == 4  # e-mail for the three purposes, e-mail preferred
        assert '<option value="pt" lang="pt" selected>' in page.text

        cross_site = await client.post(
            "/preferences", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert cross_site.status_code == 403

        form = {
            "token": token,
            "consent": ["email:service", "email:surveys", "in_app:surveys"],
            "preferred_channel": "email",
            "language": "pt",  # the page's option for the stored pt-BR: kept as pt-BR
            "quiet_start": "22:30",
            "quiet_end": "07:00",
        }
        half = await client.post("/preferences", data={**form, "quiet_end": ""}, headers=SAME_SITE)
        assert half.status_code == 422 and "Horário de silêncio: informe" in half.text
        saved = await client.post("/preferences", data=form, headers=SAME_SITE)
        assert saved.status_code == 303
        assert saved.headers["location"].endswith("&saved=true")
        again = await client.get(saved.headers["location"])
        assert "Suas preferências foram salvas." in again.text
        stored = (await client.get(f"/contacts/{contact_id}")).json()

    assert stored["profile"]["quiet_hours"] == {"start": "22:30:00", "end": "07:00:00"}
    assert stored["profile"]["language"] == "pt-BR"
    events = await _events(infra, contacts_topic, count=4)
    changed = [e for e in events if isinstance(e, ContactConsentChanged)]
    assert sorted((e.consent.channel, e.consent.purpose, e.consent.granted) for e in changed) == [
        (Channel.EMAIL, Purpose.MARKETING, False),
        (Channel.IN_APP, Purpose.SURVEYS, True),
    ]
    assert {e.consent.source for e in changed} == {"preference-center"}
    assert {(e.actor.kind, e.actor.id) for e in events[1:]} == {("contact", contact_id)}
    updated = [e for e in events if isinstance(e, ContactUpdated)]
    assert [(u.changed_fields, u.source) for u in updated] == [
        (("quiet_hours",), "preference-center")
    ]


async def test_one_click_unsubscribe_withdraws_only_on_post_and_only_once(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        contact_id = await _registered(client, profile, language="de-AT", country="AT", phone=None)
        link = {"token": _token(settings, UNSUBSCRIBE, f"{contact_id}.surveys")}
        confirm = await client.get("/unsubscribe", params=link)
        assert confirm.status_code == 200
        assert "Sie erhalten dann keine Umfragen von Rapport mehr per E-Mail." in confirm.text
        assert 'name="List-Unsubscribe" value="One-Click"' in confirm.text
        unchanged = (await client.get(f"/contacts/{contact_id}")).json()["consents"]
        assert len(unchanged) == 1  # the GET changed nothing

        # As a mailbox provider sends it (RFC 8058 §3.2): no cookie, no Origin, no Fetch Metadata.
        bare = {"Authorization": ""}
        refused = await client.post("/unsubscribe", params=link, data={}, headers=bare)
        assert refused.status_code == 400
        body = {"List-Unsubscribe": "One-Click"}
        done = await client.post("/unsubscribe", params=link, data=body, headers=bare)
        assert done.status_code == 200 and "Sie wurden abgemeldet" in done.text
        repeated = await client.post("/unsubscribe", params=link, data=body, headers=bare)
        assert repeated.status_code == 200
        consents = (await client.get(f"/contacts/{contact_id}")).json()["consents"]

    withdrawn = [c for c in consents if c["purpose"] == "surveys"]
    assert [(c["granted"], c["source"]) for c in withdrawn] == [(False, "one-click-unsubscribe")]
    events = await _events(infra, contacts_topic, count=2)
    assert [type(e).__name__ for e in events] == ["ContactRegistered", "ContactConsentChanged"]


async def test_links_that_do_not_open_the_page(settings, profile) -> None:
    async with serving(create_app(settings)) as client:
        contact_id = await _registered(client, profile, language="ar", country="SA", phone=None)
        cases = {
            "forged": ("not-a.token", 404),
            "another purpose": (_token(settings, SURVEY_ANSWER, contact_id), 404),
            "expired": (_token(settings, PREFERENCES, contact_id, days=-1), 410),
            "unknown contact": (_token(settings, PREFERENCES, "ct_nobody"), 404),
        }
        for name, (token, expected) in cases.items():
            page = await client.get("/preferences", params={"token": token})
            assert page.status_code == expected, name
        token = _token(settings, PREFERENCES, contact_id)
        arabic = await client.get("/preferences", params={"token": token})
        assert '<html lang="ar" dir="rtl">' in arabic.text
        assert (await client.delete(f"/contacts/{contact_id}")).status_code == 200
        erased = await client.get("/preferences", params={"token": token})
        assert erased.status_code == 410


async def _events(infra: Any, topic: str, *, count: int) -> list[Any]:
    records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= count)
    return [decode(record.value).data for record in records]
