"""A customer answers a survey the way customers do: from the e-mail, in a real browser.

Every service runs with its shipped defaults for the link (``answer_base_url`` is not
overridden): the invitation's link points at http://127.0.0.1:8002/answers, and the feedback
service listens there. The e-mail comes through a real SMTP server; the page opens in Debian's
chromium (Playwright) with every request off loopback aborted.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Page
from pymongo import AsyncMongoClient

from rapport_feedback.settings import FeedbackSettings
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import decode, topics
from rapport_schemas.feedback import SurveyAnswered, SurveyComment
from tests.support.browser import offline_browser
from tests.support.kafka import eventually, read_until
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

FEEDBACK_PORT = FeedbackSettings().http_port  # 8002, the port the default link names
DEFAULT_LINK = NotificationsSettings().answer_base_url
LANGUAGES = {
    "tr": "Europe/Istanbul",
    "hu": "Europe/Budapest",
    "ja": "Asia/Tokyo",
    "ar": "Asia/Riyadh",
}
COUNTRIES = {"tr": "TR", "hu": "HU", "ja": "JP", "ar": "SA"}


def test_the_default_link_names_the_feedback_service_default_address() -> None:
    assert f"http://127.0.0.1:{FEEDBACK_PORT}/answers" == DEFAULT_LINK


async def test_a_customer_answers_from_the_email_with_the_keyboard(service_env, namespace) -> None:
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        async with (
            running_suite(service_env, (), smtp_port, listen={"feedback": FEEDBACK_PORT}) as apps,
            offline_browser() as browser,
        ):
            contact_id = await _customer_with_a_resolved_case(apps["contacts"], "tr", "ayse")
            mails = await _invitations(inbox, "ayse@example.com", count=2)
            link = _plain_link(mails[0])
            assert link.startswith(f"{DEFAULT_LINK}?token=")

            page_answer = await httpx.AsyncClient().get(link)  # the link as shipped answers
            assert page_answer.status_code == 200 and "<form" in page_answer.text

            await _scanner_follows_every_link(mails, service_env, namespace)

            async with browser.context(locale="tr-TR") as context:
                page = await context.new_page()
                response = await page.goto(link)
                assert response is not None and response.status == 200
                text = await page.inner_text("main")
                print(f"\n[tr page]\n{text}")
                radios = await page.locator("input[name=score]").count()
                kind = _kind_of(radios)
                chosen = _answer_with_the_keyboard_steps(radios)
                await page.keyboard.press("Tab")  # the first score of the scale
                for _ in range(chosen - (0 if kind == "nps" else 1)):
                    await page.keyboard.press("ArrowRight")
                await page.keyboard.press("Tab")
                await page.keyboard.type("Hızlı ve nazik bir destekti.")
                await page.keyboard.press("Tab")
                submitted_at = time.monotonic()
                async with page.expect_navigation():
                    await page.keyboard.press("Enter")
                thanks = await page.inner_text("main")
                print(f"[tr thank-you page]\n{thanks}")
                assert "Teşekkür ederiz!" in thanks and "/answers/thanks" in page.url

                kpi = await _kpi_after_answer(apps["metrics"], kind)
                elapsed = time.monotonic() - submitted_at
                print(f"confirmed answer → {kind} KPI changed after {elapsed:.2f} s: {kpi}")

                again = await page.goto(link)
                assert again is not None and again.status == 409
                assert "Bu anketi zaten yanıtladınız" in await page.inner_text("main")
            assert browser.blocked == []

        answered = await _answers(service_env, namespace, 1)
        assert [(a.contact_id, a.score, a.has_comment) for a in answered] == [
            (contact_id, chosen, True)
        ]
        comments = await _comments(service_env, namespace, 1)
        assert [(c.contact_id, c.survey_id, c.comment) for c in comments] == [
            (contact_id, answered[0].survey_id, "Hızlı ve nazik bir destekti.")
        ]
    finally:
        smtp.stop()


async def test_pages_in_hungarian_japanese_and_arabic_and_links_that_no_longer_work(
    service_env, namespace
) -> None:
    now = [datetime.now(UTC)]
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        async with (
            running_suite(
                service_env,
                (),
                smtp_port,
                listen={"feedback": FEEDBACK_PORT},
                feedback_clock=lambda: now[0],
            ) as apps,
            offline_browser() as browser,
        ):
            contacts = apps["contacts"]
            ids = {
                lang: await _customer_with_a_resolved_case(contacts, lang, f"c-{lang}")
                for lang in ("hu", "ja", "ar")
            }
            links = {
                lang: _plain_link((await _invitations(inbox, f"c-{lang}@example.com", count=2))[0])
                for lang in ids
            }
            async with browser.context() as context:
                page = await context.new_page()
                for lang, link in links.items():
                    await page.goto(link)
                    print(f"\n[{lang} page]\n{await page.inner_text('main')}")
                    assert await page.get_attribute("html", "lang") == lang

                await page.goto(links["ar"])
                assert await page.get_attribute("html", "dir") == "rtl"
                assert await page.evaluate("getComputedStyle(document.body).direction") == "rtl"
                first, last = await _score_boxes(page)
                assert first["x"] > last["x"], "the scale runs right to left in Arabic"
                await page.keyboard.press("Tab")
                await page.keyboard.press("Space")
                async with page.expect_navigation():
                    await page.locator("button[type=submit]").press("Enter")
                print(f"[ar thank-you page]\n{await page.inner_text('main')}")
                assert "شكرًا لكم!" in await page.inner_text("main")

                erased = await contacts.delete(f"/contacts/{ids['hu']}")
                assert erased.status_code == 200, erased.text
                withdrawn = await _status_once_settled(page, links["hu"], 410)
                print(f"[hu withdrawn page]\n{withdrawn}")
                assert "Ez a kérdőív már nem érhető el" in withdrawn

                now[0] += timedelta(days=15)
                expired = await page.goto(links["ja"])
                assert expired is not None and expired.status == 410
                print(f"[ja expired page]\n{await page.inner_text('main')}")
                assert "このリンクは有効期限が切れています" in await page.inner_text("main")
            assert browser.blocked == []
        answered = await _answers(service_env, namespace, 1)
        assert [a.contact_id for a in answered] == [ids["ar"]]
    finally:
        smtp.stop()


async def _customer_with_a_resolved_case(contacts: httpx.AsyncClient, lang: str, name: str) -> str:
    now = datetime.now(UTC).isoformat()
    registered = await contacts.post(
        "/contacts",
        json={
            "profile": {
                "name": f"Test {name.title()}",
                "email": f"{name}@example.com",
                "language": lang,
                "time_zone": LANGUAGES[lang],
                "country": COUNTRIES[lang],
                "currency": "EUR",
            },
            "consents": [
                {"channel": "email", "granted": True, "source": "web-form", "changed_at": now}
            ],
        },
    )
    assert registered.status_code == 201, registered.text
    contact_id = str(registered.json()["contact_id"])
    interaction = {
        "channel": "email",
        "direction": "inbound",
        "kind": "support",
        "case_id": "case-1",
    }
    logged = await contacts.post(f"/contacts/{contact_id}/interactions", json=interaction)
    assert logged.status_code == 201, logged.text
    resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-1/resolve", json={})
    assert resolved.status_code in (200, 201), resolved.text
    return contact_id


async def _invitations(inbox: Inbox, address: str, *, count: int) -> list[EmailMessage]:
    def received() -> list[EmailMessage]:
        mails = [message_from_bytes(raw, policy=policy.default) for raw in inbox.messages]
        return [
            mail
            for mail in mails
            if isinstance(mail, EmailMessage)
            and mail["X-Rapport-Template"] == "survey_invitation"
            and mail["To"] == address
        ]

    async def invitations() -> int:
        return len(received())

    def enough(invited: int) -> bool:
        return invited >= count

    await eventually(invitations, until=enough, timeout=90)
    mails = received()
    assert len(mails) == count, f"{len(mails)} invitations to {address}"
    return mails


def _plain_link(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    links = re.findall(
        r"http://127\.0\.0\.1:\d+/answers\?token=[A-Za-z0-9_.%-]+", body.get_content()
    )
    assert len(links) == 1, links
    return str(links[0])


def _one_click_links(mail: EmailMessage) -> list[str]:
    body = mail.get_body(("html",))
    assert body is not None
    hrefs = re.findall(r'href="([^"]+&amp;score=\d+)"', body.get_content())
    return [href.replace("&amp;", "&") for href in hrefs]


async def _scanner_follows_every_link(
    mails: list[EmailMessage], service_env: dict[str, object], namespace: str
) -> None:
    """A mail scanner opening every one-click link records nothing; each preselects its score."""
    async with httpx.AsyncClient() as scanner:
        followed = 0
        for mail in mails:
            links = _one_click_links(mail)
            assert len(links) in (5, 7, 11)
            for link in links:
                score = parse_qs(urlsplit(link).query)["score"][0]
                page = await scanner.get(link)
                assert page.status_code == 200
                assert re.search(rf'value="{score}" required checked', page.text)
                followed += 1
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(str(service_env["mongo_url"]))
    try:
        surveys = await client[f"{namespace}_feedback"]["surveys"].find({}).to_list()
    finally:
        await client.close()
    assert len(surveys) == 2 and not any(survey["used"] for survey in surveys)
    print(f"one-click links followed as a mail scanner would: {followed}; answers recorded: 0")


def _kind_of(radios: int) -> str:
    return {11: "nps", 5: "csat", 7: "ces"}[radios]


def _answer_with_the_keyboard_steps(radios: int) -> int:
    """The score the keyboard picks: the fourth of the scale (a satisfied answer for CSAT)."""
    return 3 if radios == 11 else 4


async def _kpi_after_answer(metrics: httpx.AsyncClient, kind: str) -> dict[str, Any]:
    day = datetime.now(UTC).date().isoformat()

    async def point() -> dict[str, Any] | None:
        response = await metrics.get(
            f"/kpis/{kind}", params={"window": "day", "segment_kind": "all", "segment_value": "all"}
        )
        points = (
            [p for p in response.json() if p["window_start"] == day]
            if response.status_code == 200
            else []
        )
        return points[0] if points and points[0]["n"] == 1 else None

    found = await eventually(point, timeout=60)
    assert found is not None  # eventually returns a truthy value or raises
    return dict(found)


async def _score_boxes(page: Page) -> tuple[dict[str, float], dict[str, float]]:
    labels = page.locator("fieldset .score label")
    first = await labels.first.bounding_box()
    last = await labels.last.bounding_box()
    assert first is not None and last is not None
    return dict(first), dict(last)


async def _status_once_settled(page: Page, link: str, status: int) -> str:
    """The page's text once the link answers ``status`` (erasure reaches feedback by Kafka)."""

    async def current() -> int:
        response = await page.goto(link)
        return response.status if response is not None else 0

    await eventually(current, expected=status, timeout=60)
    return await page.inner_text("main")


async def _answers(
    service_env: dict[str, object], namespace: str, count: int
) -> list[SurveyAnswered]:
    def answers(records: list[Any]) -> list[SurveyAnswered]:
        events = [decode(record.value).data for record in records]
        return [e for e in events if isinstance(e, SurveyAnswered)]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.FEEDBACK}",
        lambda rs: len(answers(rs)) >= count,
        timeout=30,
    )
    return answers(records)


async def _comments(
    service_env: dict[str, object], namespace: str, count: int
) -> list[SurveyComment]:
    """The answers' comments: on the personal topic, never on the event topic."""

    def comments(records: list[Any]) -> list[SurveyComment]:
        events = [decode(record.value).data for record in records if record.value is not None]
        return [e for e in events if isinstance(e, SurveyComment)]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.FEEDBACK_PERSONAL}",
        lambda rs: len(comments(rs)) >= count,
        timeout=30,
    )
    return comments(records)
