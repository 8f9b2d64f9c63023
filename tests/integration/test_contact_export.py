"""A contact with activity in every service exports everything once; an erased one exports
nothing (410); a merged one says where its data went. All four services on real Kafka, FerretDB
and a real SMTP server; the survey is answered with the token from the e-mail received."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support.kafka import eventually
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

EMAIL = "lucia.fernandez@example.es"
SUMMARY = "Lucía llamó por la factura duplicada"
COMMENT = "Muy amables, gracias por la rapidez"


def profile(name: str, email: str) -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "language": "es-ES",
        "time_zone": "Europe/Madrid",
        "country": "ES",
        "currency": "EUR",
    }


async def register(contacts: httpx.AsyncClient, name: str, email: str, at: datetime) -> str:
    consent = {"channel": "email", "granted": True, "source": "web-form", "changed_at": at}
    body = {
        "profile": profile(name, email),
        "consents": [{**consent, "changed_at": at.isoformat()}],
    }
    registered = await contacts.post("/contacts", json=body)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["contact_id"])


async def survey_token(inbox: Inbox) -> str:
    def invitations() -> list[EmailMessage]:
        mails = [message_from_bytes(raw, policy=policy.default) for raw in inbox.messages]
        return [
            m
            for m in mails
            if isinstance(m, EmailMessage)
            and m["X-Rapport-Template"] == "survey_invitation"
            and m["To"] == EMAIL
        ]

    async def count() -> int:
        return len(invitations())

    await eventually(count, expected=1, timeout=90)
    body = invitations()[0].get_body(("plain",))
    assert body is not None
    links = re.findall(
        r"http://127\.0\.0\.1:\d+/answers\?token=[A-Za-z0-9_.%-]+", body.get_content()
    )
    assert len(links) == 1, links
    return parse_qs(urlsplit(links[0]).query)["token"][0]


async def test_export_holds_every_item_once_and_nothing_after_erasure(service_env, namespace):
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with running_suite(service_env, (), port) as clients:
            contacts, feedback = clients["contacts"], clients["feedback"]
            registered_at = datetime.now(UTC) - timedelta(minutes=5)
            contact_id = await register(contacts, "Lucía Fernández", EMAIL, registered_at)
            duplicate_id = await register(
                contacts, "Lucia Fernandez", "lucia.f@example.es", registered_at
            )

            withdrawn = await contacts.put(
                f"/contacts/{contact_id}/consents/sms",
                json={"granted": False, "source": "call-centre", "purpose": "marketing"},
            )
            assert withdrawn.status_code == 200, withdrawn.text
            interaction = await contacts.post(
                f"/contacts/{contact_id}/interactions",
                json={
                    "channel": "phone",
                    "direction": "inbound",
                    "kind": "support",
                    "case_id": "case-7",
                    "summary": SUMMARY,
                },
            )
            assert interaction.status_code == 201, interaction.text
            interaction_id = interaction.json()["interaction_id"]
            for contact, amount in ((contact_id, "49.90"), (duplicate_id, "12.00")):
                bought = await contacts.post(
                    f"/contacts/{contact}/purchases", json={"amount": amount, "currency": "EUR"}
                )
                assert bought.status_code == 201, bought.text
            resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-7/resolve", json={})
            assert resolved.status_code == 200, resolved.text
            answered = await feedback.post(
                "/surveys/answers",
                json={"token": await survey_token(inbox), "score": 5, "comment": COMMENT},
            )
            assert answered.status_code == 201, answered.text
            kind = answered.json()["kind"]
            merged = await contacts.post(
                f"/contacts/{contact_id}/merge", json={"duplicate_id": duplicate_id}
            )
            assert merged.status_code == 200, merged.text

            async def exported() -> dict[str, Any]:
                answer = await contacts.get(f"/contacts/{contact_id}/export")
                assert answer.status_code == 200, answer.text
                return dict(answer.json())

            def templates(document: dict[str, Any]) -> list[str]:
                return sorted(m["template"] for m in document["messages_sent"])

            def complete(document: dict[str, Any]) -> bool:
                sent = templates(document)
                return bool(
                    document["survey_answers"]
                    and sent.count("welcome") == 2
                    and sent.count("purchase_thank_you") == 2
                    and len(document["purchases"]) == 2
                    and any(c["resolved_at"] for c in document["cases"])
                )

            document = await eventually(exported, until=complete, timeout=90)
            print("export:", document)
            assert (document["format"], document["format_version"]) == (
                "rapport.contact-export",
                1,
            )
            assert document["status"] == "active" and document["merged_from"] == [duplicate_id]
            assert document["profile"]["email"] == EMAIL
            history = [
                (c["channel"], c["purpose"], c["granted"], c["source"])
                for c in document["consent_history"]
            ]
            assert sorted(history, key=str) == sorted(
                [
                    ("email", None, True, "web-form"),
                    ("email", None, True, "web-form"),  # the duplicate's, absorbed
                    ("sms", "marketing", False, "call-centre"),
                ],
                key=str,
            )
            assert all(c["changed_at"] for c in document["consent_history"])
            assert [(i["interaction_id"], i["summary"]) for i in document["interactions"]] == [
                (interaction_id, SUMMARY)
            ]
            assert sorted(p["amount"] for p in document["purchases"]) == ["12.00", "49.90"]
            [case] = document["cases"]
            assert case["case_id"] == "case-7" and case["interaction_ids"] == [interaction_id]
            assert case["resolved_at"] is not None and case["first_contact"] is True
            [survey] = document["survey_answers"]
            assert (survey["kind"], survey["score"], survey["comment"]) == (kind, 5, COMMENT)
            ids = [m["notification_id"] for m in document["messages_sent"]]
            assert len(ids) == len(set(ids)), "each message exported once"
            # One welcome and one thank-you per contact (the duplicate's absorbed), never more.
            sent = templates(document)
            assert (sent.count("welcome"), sent.count("purchase_thank_you")) == (2, 2)
            invitation = next(
                m for m in document["messages_sent"] if m["template"] == "survey_invitation"
            )
            assert invitation["locale"].startswith("es") and invitation["channel"] == "email"
            assert invitation["consent"]["channel"] == "email"
            assert invitation["consent"]["source"] == "web-form"

            moved = await contacts.get(f"/contacts/{duplicate_id}/export")
            assert moved.status_code == 200, moved.text
            assert (moved.json()["status"], moved.json()["merged_into"]) == ("merged", contact_id)
            assert moved.json()["purchases"] == [] and moved.json()["profile"] is None

            read_only = await contacts.get(
                f"/contacts/{contact_id}/export", headers={"Authorization": "Bearer read-only"}
            )
            assert read_only.status_code == 403, read_only.text

            assert (await contacts.delete(f"/contacts/{contact_id}")).status_code == 200
            for erased in (contact_id, duplicate_id):
                gone = await contacts.get(f"/contacts/{erased}/export")
                assert gone.status_code == 410, gone.text
                assert EMAIL not in gone.text and SUMMARY not in gone.text
                print(f"after erasure: {gone.status_code} {gone.text}")
    finally:
        smtp.stop()
