"""RFC 8058 one-click unsubscribe as a mailbox provider performs it, every part real: the survey
invitation arrives at a real SMTP server with List-Unsubscribe (HTTPS + mailto) and
List-Unsubscribe-Post; a GET of the link changes nothing; the provider's POST withdraws the
surveys purpose at once (ContactConsentChanged, source one-click-unsubscribe, on Kafka); the next
survey invitation to that contact is not sent (NotificationFailed no_consent) while a
transactional message still is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiosmtpd.controller import Controller

from rapport_schemas import decode, topics, wrap
from rapport_schemas.common import Channel, Purpose
from rapport_schemas.contacts import ContactConsentChanged
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from rapport_schemas.notifications import NotificationFailed
from tests.support.kafka import eventually, produce, read_until
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite
ONE_CLICK = "List-Unsubscribe=One-Click"


async def test_a_one_click_post_withdraws_surveys_and_the_next_invitation_is_not_sent(
    service_env, namespace
) -> None:
    inbox, smtp_port, contacts_port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    links = {"preferences_base_url": f"http://127.0.0.1:{contacts_port}"}
    try:
        async with running_suite(
            service_env, (), smtp_port, listen={"contacts": contacts_port}, notifications=links
        ) as apps:
            contacts = apps["contacts"]
            contact_id = await _customer_with_a_resolved_case(contacts)
            raw, invitation = (await _mails(inbox, "survey_invitation", count=2))[0]
            headers = raw[: raw.index(b"\r\n\r\n")].decode("ascii")
            wire = re.search(r"^List-Unsubscribe:.*?(?=^\S)", headers, re.M | re.S)
            post = re.search(r"^List-Unsubscribe-Post:.*$", headers, re.M)
            assert wire is not None and post is not None
            print(f"\n[headers as the SMTP server received them]\n{wire.group(0)}{post.group(0)}")
            https, mailto = re.findall(r"<([^>]+)>", wire.group(0))
            assert https.startswith(f"http://127.0.0.1:{contacts_port}/unsubscribe?token=")
            assert mailto.startswith("mailto:unsubscribe@rapport.local?subject=unsubscribe%20")
            assert post.group(0).strip() == f"List-Unsubscribe-Post: {ONE_CLICK}"
            text = invitation.get_body(("plain",))
            assert text is not None and https in text.get_content()

            # A bare client, as a provider's server: no cookie, no Authorization, no Origin.
            async with httpx.AsyncClient() as provider:
                scanned = await provider.get(https)  # a link scanner: nothing changes
                assert scanned.status_code == 200 and 'value="One-Click"' in scanned.text
                assert await _consents(contacts, contact_id) == [("email", None, True)]
                posted = await provider.post(
                    https,
                    content=ONE_CLICK,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert posted.status_code == 200, posted.text
            print(
                f"[one-click POST] {posted.status_code}, consents now:",
                await _consents(contacts, contact_id),
            )
            assert ("email", "surveys", False) in await _consents(contacts, contact_id)

            withdrawn = await _consent_event(service_env, namespace, contact_id)
            print(f"[on {topics.CONTACTS}] {withdrawn.model_dump_json()}")
            assert (withdrawn.consent.purpose, withdrawn.consent.source) == (
                Purpose.SURVEYS,
                "one-click-unsubscribe",
            )

            # A survey requested before feedback saw the withdrawal (or by another producer):
            # notifications checks the surveys purpose itself and does not send it.
            survey = await _survey_requested(service_env, namespace, contact_id)
            failed = await _failure_for(service_env, namespace, survey)
            print(f"[next invitation] NotificationFailed reason={failed.reason}")
            assert (failed.reason, failed.template) == ("no_consent", "survey_invitation")
            purchase = await contacts.post(
                f"/contacts/{contact_id}/purchases",
                json={"amount": "49.90", "currency": "EUR", "order_ref": "ORD-8058"},
            )
            assert purchase.status_code == 201, purchase.text
            await _mails(inbox, "purchase_thank_you", count=1)  # service messages still go
            invitations = await _mails(inbox, "survey_invitation", count=2)
            print(f"[SMTP] survey invitations received: {len(invitations)} (both before the POST)")
    finally:
        smtp.stop()


async def test_a_one_click_post_on_a_campaign_mail_keeps_the_next_campaign_from_that_contact(
    service_env, namespace
) -> None:
    """The issue's journey: a campaign (marketing) mail, the provider's one-click POST, and the
    next campaign to the segment skips that contact for want of consent; nothing reaches it."""
    inbox, smtp_port, contacts_port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    links = {"preferences_base_url": f"http://127.0.0.1:{contacts_port}"}
    try:
        async with running_suite(
            service_env, (), smtp_port, listen={"contacts": contacts_port}, notifications=links
        ) as apps:
            contacts, notifications = apps["contacts"], apps["notifications"]
            contact_id = await _customer(contacts, country="AT")
            # The audience is whoever notifications' directory knows at launch: the welcome
            # mail says it has folded the registration.
            await _mails(inbox, "welcome", count=1)
            first = await _campaign(notifications, "autumn", country="AT")
            assert await _settled(notifications, first) == {"sent": 1, "skipped": {}}
            [(raw, _)] = await _mails(inbox, "campaign", count=1)
            https = _one_click_link(raw)
            async with httpx.AsyncClient() as provider:
                posted = await provider.post(
                    https,
                    content=ONE_CLICK,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            assert posted.status_code == 200, posted.text
            assert ("email", "marketing", False) in await _consents(contacts, contact_id)
            withdrawn = await _consent_event(service_env, namespace, contact_id)
            assert withdrawn.consent.purpose is Purpose.MARKETING
            await _folded_by_notifications(service_env, namespace)
            second = await _campaign(notifications, "winter", country="AT")
            progress = await _settled(notifications, second)
            print(f"\n[campaign after the one-click POST] {progress}")
            assert progress == {"sent": 0, "skipped": {"no_consent": 1}}
            assert len(await _mails(inbox, "campaign", count=1)) == 1  # still only the first
    finally:
        smtp.stop()


async def _customer(contacts: httpx.AsyncClient, *, country: str) -> str:
    now = datetime.now(UTC).isoformat()
    registered = await contacts.post(
        "/contacts",
        json={
            "profile": {
                "name": "Jonas Huber",
                "email": "jonas@example.at",
                "language": "de",
                "time_zone": "Europe/Vienna",
                "country": country,
                "currency": "EUR",
            },
            "consents": [
                {"channel": "email", "granted": True, "source": "web-form", "changed_at": now}
            ],
        },
    )
    assert registered.status_code == 201, registered.text
    return str(registered.json()["contact_id"])


async def _folded_by_notifications(service_env: dict[str, Any], namespace: str) -> None:
    """Notifications' consumer group has committed everything on the contacts topic (so its
    directory holds the withdrawal: a campaign launched earlier would still have sent)."""
    bootstrap, topic = str(service_env["kafka_bootstrap"]), f"{namespace}.{topics.CONTACTS}"
    group = f"{namespace}.rapport-notifications-triggers"

    async def behind() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(3)]
            ends = await consumer.end_offsets(partitions)
            committed = {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
            return sum(ends[tp] - committed[tp] for tp in partitions)
        finally:
            await consumer.stop()

    await eventually(behind, expected=0, timeout=60, interval=0.5)


async def _campaign(notifications: httpx.AsyncClient, name: str, *, country: str) -> str:
    body = {
        "name": name,
        "audience": {"countries": [country]},
        "messages": {"de": {"subject": f"{name}: Angebote", "body": "{salutation}\nNeu bei uns."}},
    }
    created = await notifications.post("/campaigns", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["campaign_id"])


async def _settled(notifications: httpx.AsyncClient, campaign_id: str) -> dict[str, Any]:
    """The campaign's outcome once nothing is waiting: sent and skipped by reason."""

    async def view() -> dict[str, Any]:
        answer = await notifications.get(f"/campaigns/{campaign_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def settled(answer: dict[str, Any]) -> bool:
        p = answer["progress"]
        decided = p["sent"] + sum(p["skipped"].values()) + sum(p["deferred"].values())
        return answer["state"] == "launched" and p["waiting"] == 0 and decided == p["targeted"]

    done = (await eventually(view, until=settled, timeout=90))["progress"]
    return {"sent": done["sent"], "skipped": done["skipped"]}


def _one_click_link(raw: bytes) -> str:
    headers = raw[: raw.index(b"\r\n\r\n")].decode("ascii")
    wire = re.search(r"^List-Unsubscribe:.*?(?=^\S)", headers, re.M | re.S)
    assert wire is not None
    return re.findall(r"<([^>]+)>", wire.group(0))[0]


async def _customer_with_a_resolved_case(contacts: httpx.AsyncClient) -> str:
    now = datetime.now(UTC).isoformat()
    registered = await contacts.post(
        "/contacts",
        json={
            "profile": {
                "name": "Lena Vogel",
                "email": "lena@example.de",
                "language": "de",
                "time_zone": "Europe/Berlin",
                "country": "DE",
                "currency": "EUR",
            },
            "consents": [
                {"channel": "email", "granted": True, "source": "web-form", "changed_at": now}
            ],
        },
    )
    assert registered.status_code == 201, registered.text
    contact_id = str(registered.json()["contact_id"])
    case = {"channel": "email", "direction": "inbound", "kind": "support", "case_id": "case-1"}
    logged = await contacts.post(f"/contacts/{contact_id}/interactions", json=case)
    assert logged.status_code == 201, logged.text
    resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-1/resolve", json={})
    assert resolved.status_code in (200, 201), resolved.text
    return contact_id


async def _mails(inbox: Inbox, template: str, *, count: int) -> list[tuple[bytes, EmailMessage]]:
    def received() -> list[tuple[bytes, EmailMessage]]:
        parsed = [(raw, message_from_bytes(raw, policy=policy.default)) for raw in inbox.messages]
        return [
            (raw, mail)
            for raw, mail in parsed
            if isinstance(mail, EmailMessage) and mail["X-Rapport-Template"] == template
        ]

    async def how_many() -> int:
        return len(received())

    await eventually(how_many, until=lambda n: n >= count, timeout=90)
    mails = received()
    assert len(mails) == count, f"{len(mails)} {template} mails"
    return mails


async def _consents(contacts: httpx.AsyncClient, contact_id: str) -> list[tuple[str, Any, bool]]:
    """(channel, purpose or None for the whole channel, granted), the channel's first."""
    consents = (await contacts.get(f"/contacts/{contact_id}")).json()["consents"]
    found = [(c["channel"], c["purpose"], c["granted"]) for c in consents]
    return sorted(found, key=lambda c: (c[0], c[1] or ""))


async def _consent_event(
    service_env: dict[str, Any], namespace: str, contact_id: str
) -> ContactConsentChanged:
    def found(records: list[Any]) -> list[ContactConsentChanged]:
        events = [decode(record.value).data for record in records]
        return [e for e in events if isinstance(e, ContactConsentChanged)]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.CONTACTS}",
        lambda rs: bool(found(rs)),
    )
    [event] = found(records)
    assert event.contact_id == contact_id and event.consent.channel is Channel.EMAIL
    return event


async def _survey_requested(service_env: dict[str, Any], namespace: str, contact_id: str) -> str:
    now = datetime.now(UTC)
    survey = SurveyRequested(
        survey_id="sv-after-unsubscribe",
        contact_id=contact_id,
        kind=SurveyKind.NPS,
        expires_at=now + timedelta(days=14),
        language="de",
        channel=Channel.EMAIL,
        requested_at=now,
    )
    event = wrap(survey, source="/rapport/feedback")
    await produce(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.FEEDBACK}",
        event.model_dump_json().encode(),
        key=contact_id.encode(),
    )
    return event.id


async def _failure_for(
    service_env: dict[str, Any], namespace: str, trigger_id: str
) -> NotificationFailed:
    def found(records: list[Any]) -> list[NotificationFailed]:
        events = [decode(record.value).data for record in records]
        return [
            e
            for e in events
            if isinstance(e, NotificationFailed) and e.trigger_event_id == trigger_id
        ]

    records = await read_until(
        str(service_env["kafka_bootstrap"]),
        f"{namespace}.{topics.NOTIFICATIONS}",
        lambda rs: bool(found(rs)),
        timeout=60,
    )
    return found(records)[0]
