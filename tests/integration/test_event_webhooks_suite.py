"""A system without Kafka follows a contact through the real services: registered, updated and
an interaction logged over the contacts API reach its endpoint signed and in order. Since the v2
events (issue 20) no event carries the person's details — not even to a subscription with the
personal-data scope: name, e-mail and notes live on the compacted personal topic, which is never
forwarded — so the authorised system looks the person up by the contact id in the contacts API,
which answers the current value (and nothing once the contact is erased)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.notifications.tests.integration.webhook_receiver import Receiver, receiving
from tests.support.kafka import eventually
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

NAME, EMAIL, NEW_EMAIL = "Szabó Katalin", "katalin.szabo@example.hu", "katalin.sz@example.hu"
TYPES = [
    "rapport.contacts.contact_registered.v2",
    "rapport.contacts.contact_updated.v2",
    "rapport.contacts.interaction_logged.v2",
]


async def test_a_contacts_story_reaches_a_subscriber_over_http(
    service_env: dict[str, object], infra: Any
) -> None:
    receiver, port = Receiver(), free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with receiving(receiver) as base_url, running_suite(service_env, (), port) as api:
            for endpoint, personal in (("crm", True), ("bi", False)):
                body = {
                    "url": f"{base_url}/hooks/{endpoint}",
                    "event_types": TYPES,
                    "personal_data": personal,
                }
                created = await api["notifications"].post("/webhooks/subscriptions", json=body)
                assert created.status_code == 201, created.text
                receiver.secrets[endpoint] = created.json()["secret"]
            contact_id = await _story(api["contacts"])
            await eventually(lambda: _accepted(receiver), expected=6, timeout=60)
            looked_up = await api["contacts"].get(f"/contacts/{contact_id}")
            assert looked_up.status_code == 200, looked_up.text
    finally:
        smtp.stop()

    assert receiver.forged == 0
    for endpoint in ("crm", "bi"):
        types = [r.event["type"] for r in receiver.accepted(endpoint)]
        assert types == TYPES  # registered, updated, interaction: in that order
        assert {r.event["subject"] for r in receiver.accepted(endpoint)} == {contact_id}
    crm, bi = (str([r.event for r in receiver.accepted(e)]) for e in ("crm", "bi"))
    for delivered in (crm, bi):
        assert NAME not in delivered and "katalin" not in delivered and "parcel" not in delivered
    updated = receiver.accepted("crm")[1].event["data"]
    assert updated["changed_fields"] == ["email"]  # what changed, not the value
    interaction = receiver.accepted("crm")[2].event["data"]
    assert interaction["has_summary"] is True
    profile = looked_up.json()["profile"]
    assert (profile["name"], profile["email"]) == (NAME, NEW_EMAIL)


async def _story(contacts: Any) -> str:
    now = datetime.now(UTC).isoformat()
    profile = {
        "name": NAME,
        "email": EMAIL,
        "language": "hu-HU",
        "time_zone": "Europe/Budapest",
        "country": "HU",
        "currency": "HUF",
    }
    consent = {"channel": "email", "granted": True, "source": "web-form", "changed_at": now}
    registered = await contacts.post("/contacts", json={"profile": profile, "consents": [consent]})
    assert registered.status_code == 201, registered.text
    contact_id: str = registered.json()["contact_id"]
    updated = await contacts.patch(f"/contacts/{contact_id}", json={"email": NEW_EMAIL})
    assert updated.status_code == 200, updated.text
    logged = await contacts.post(
        f"/contacts/{contact_id}/interactions",
        json={
            "channel": "email",
            "direction": "inbound",
            "kind": "complaint",
            "summary": "The parcel never arrived",
        },
    )
    assert logged.status_code == 201, logged.text
    return contact_id


async def _accepted(receiver: Receiver) -> int:
    return len(receiver.accepted("crm")) + len(receiver.accepted("bi"))
