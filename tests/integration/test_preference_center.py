"""A customer changes their preferences the way customers do: from the link in an e-mail, in a
real browser with JavaScript switched off, with the keyboard only, in Arabic.

The invitation comes through a real SMTP server; the page opens in Debian's chromium
(Playwright) with every request off loopback aborted; the change reaches contacts' record and its
topic with source preference-center, and notifications holds the next message in the quiet hours
the customer chose.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import Page

from rapport_schemas import decode, topics
from rapport_schemas.common import Channel, Purpose
from rapport_schemas.contacts import ContactConsentChanged, ContactUpdated
from rapport_schemas.notifications import NotificationScheduled
from tests.support.browser import offline_browser
from tests.support.kafka import eventually, read_until
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite


async def test_an_arabic_customer_changes_preferences_with_the_keyboard_and_no_script(
    service_env, namespace
) -> None:
    inbox, smtp_port, contacts_port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    links = {"preferences_base_url": f"http://127.0.0.1:{contacts_port}"}
    try:
        async with (
            running_suite(
                service_env, (), smtp_port, listen={"contacts": contacts_port}, notifications=links
            ) as apps,
            offline_browser() as browser,
        ):
            contacts = apps["contacts"]
            contact_id = await _customer_with_a_resolved_case(contacts)
            link = _preferences_link(await _invitation(inbox), contacts_port)

            # The browser reads another language: the page follows the contact's, not the browser's.
            async with browser.context(java_script_enabled=False, locale="en-GB") as context:
                page = await context.new_page()
                response = await page.goto(link)
                assert response is not None and response.status == 200
                csp = response.headers["content-security-policy"]
                assert "default-src 'none'" in csp and "script-src" not in csp
                assert await page.get_attribute("html", "lang") == "ar"
                assert await page.get_attribute("html", "dir") == "rtl"
                print(f"\n[ar preference center]\n{await page.inner_text('main')}")
                first, last = await _boxes(page, "fieldset.choices >> nth=0 >> label")
                assert first["x"] > last["x"], "the choices run right to left in Arabic"

                quiet = _quiet_hours_around_now("Asia/Riyadh")
                await _keyboard_changes(page, quiet)
                async with page.expect_navigation():
                    await page.keyboard.press("Enter")
                saved = await page.inner_text("main")
                print(f"[ar after saving, {page.url.split('?')[0]}]\n{saved}")
                assert "تم حفظ تفضيلاتكم." in saved
                assert await page.locator("#consent-email-marketing").is_checked() is False
                assert await page.locator("#preferred-in_app").is_checked()
                assert await page.locator("#quiet-start").input_value() == quiet[0]
            assert browser.blocked == []

            stored = (await contacts.get(f"/contacts/{contact_id}")).json()
            # The customer's own quiet hours hold the next message (the suite has none itself).
            purchase = {"amount": "120", "currency": "SAR", "order_ref": "ORD-77"}
            bought = await contacts.post(f"/contacts/{contact_id}/purchases", json=purchase)
            assert bought.status_code == 201, bought.text
            held = await _scheduled(service_env, namespace, contact_id)
            print(
                f"[next message] NotificationScheduled {held.template} reason={held.reason}"
                f" deliver_at={held.deliver_at.isoformat()}"
            )
            assert (held.template, held.reason) == ("purchase_thank_you", "quiet_hours")
        profile = stored["profile"]
        assert (profile["preferred_channel"], profile["quiet_hours"]) == (
            "in_app",
            {"start": f"{quiet[0]}:00", "end": f"{quiet[1]}:00"},
        )
        events = await _events(service_env, namespace, contact_id)
        changed = [e for e in events if isinstance(e, ContactConsentChanged)]
        updated = [e for e in events if isinstance(e, ContactUpdated)]
        print("[published]", *[e.model_dump_json() for e in (*changed, *updated)], sep="\n")
        assert [(e.consent.channel, e.consent.purpose, e.consent.granted) for e in changed] == [
            (Channel.EMAIL, Purpose.MARKETING, False)
        ]
        assert changed[0].consent.source == "preference-center"
        assert [(u.changed_fields, u.source) for u in updated] == [
            (("preferred_channel", "quiet_hours"), "preference-center")
        ]
    finally:
        smtp.stop()


def _quiet_hours_around_now(zone: str) -> tuple[str, str]:
    """From an hour ago until in an hour, the contact's local time (may span midnight)."""
    local = datetime.now(ZoneInfo(zone))
    hour = timedelta(hours=1)
    return (local - hour).strftime("%H:%M"), (local + hour).strftime("%H:%M")


async def _keyboard_changes(page: Page, quiet: tuple[str, str]) -> None:
    """Marketing by e-mail off, in-app preferred, the quiet hours typed, then onto the button."""
    for _ in range(7):  # service ×3, surveys ×3, then marketing by e-mail
        await page.keyboard.press("Tab")
    await _focused(page, "consent-email-marketing")
    await page.keyboard.press("Space")
    for _ in range(3):  # marketing by SMS, in the app, then the preferred-channel group
        await page.keyboard.press("Tab")
    await _focused(page, "preferred-email")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Tab")  # the language: stays Arabic
    await _focused(page, "language")
    await page.keyboard.press("Tab")
    await _focused(page, "quiet-start")
    await page.keyboard.type(quiet[0])
    await page.keyboard.press("Tab")
    await _focused(page, "quiet-end")
    await page.keyboard.type(quiet[1])
    await page.keyboard.press("Tab")
    assert await page.locator("button[type=submit]:focus").count() == 1


async def _focused(page: Page, element_id: str) -> None:
    assert await page.locator(f"#{element_id}:focus").count() == 1, f"focus is not on {element_id}"


async def _boxes(page: Page, selector: str) -> tuple[dict[str, float], dict[str, float]]:
    labels = page.locator(selector)
    first, last = await labels.first.bounding_box(), await labels.last.bounding_box()
    assert first is not None and last is not None
    return dict(first), dict(last)


async def _customer_with_a_resolved_case(contacts: httpx.AsyncClient) -> str:
    now = datetime.now(UTC).isoformat()
    consent = {"channel": "email", "granted": True, "source": "web-form", "changed_at": now}
    profile = {
        "name": "نورة العتيبي",
        "email": "noura@example.sa",
        "language": "ar",
        "time_zone": "Asia/Riyadh",
        "country": "SA",
        "currency": "SAR",
    }
    registered = await contacts.post("/contacts", json={"profile": profile, "consents": [consent]})
    assert registered.status_code == 201, registered.text
    contact_id = str(registered.json()["contact_id"])
    case = {"channel": "email", "direction": "inbound", "kind": "support", "case_id": "case-1"}
    logged = await contacts.post(f"/contacts/{contact_id}/interactions", json=case)
    assert logged.status_code == 201, logged.text
    resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-1/resolve", json={})
    assert resolved.status_code in (200, 201), resolved.text
    return contact_id


async def _invitation(inbox: Inbox) -> EmailMessage:
    def received() -> list[EmailMessage]:
        mails = [message_from_bytes(raw, policy=policy.default) for raw in inbox.messages]
        return [
            m
            for m in mails
            if isinstance(m, EmailMessage) and m["X-Rapport-Template"] == "survey_invitation"
        ]

    async def count() -> int:
        return len(received())

    await eventually(count, until=lambda n: n >= 1, timeout=90)
    return received()[0]


def _preferences_link(mail: EmailMessage, port: int) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    found = re.findall(
        rf"http://127\.0\.0\.1:{port}/preferences\?token=[A-Za-z0-9_.%-]+", body.get_content()
    )
    assert len(found) == 1, found
    return str(found[0])


async def _events(service_env: dict[str, Any], namespace: str, contact_id: str) -> list[Any]:
    def changes(records: list[Any]) -> list[Any]:
        events = [decode(record.value).data for record in records]
        return [
            e
            for e in events
            if isinstance(e, ContactConsentChanged | ContactUpdated) and e.contact_id == contact_id
        ]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.CONTACTS}",
        lambda rs: len(changes(rs)) >= 2,
    )
    return changes(records)


async def _scheduled(
    service_env: dict[str, Any], namespace: str, contact_id: str
) -> NotificationScheduled:
    def held(records: list[Any]) -> list[NotificationScheduled]:
        events = [decode(record.value).data for record in records]
        return [
            e for e in events if isinstance(e, NotificationScheduled) and e.contact_id == contact_id
        ]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.NOTIFICATIONS}",
        lambda rs: bool(held(rs)),
        timeout=60,
    )
    return held(records)[0]
