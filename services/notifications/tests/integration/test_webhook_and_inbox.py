"""The signed webhook channel (retries, backoff, permanent failures) and the in-app inbox."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, time
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    FlakyWebhook,
    consent,
    notifications,
    of_type,
    publish,
    registered,
    source_event,
)
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
NEVER_QUIET = {"quiet_hours_start": time(0), "quiet_hours_end": time(0)}  # real clock for backoff
SECRET = "test-webhook-secret"


CONTACTS = {"flaky", "down", "rejected"}


def outcomes(events: list[Any]) -> list[Any]:
    """The final word on each message: sent, or failed for good."""
    return of_type(events, "NotificationSent") + of_type(events, "NotificationFailed")


def sms_contact(contact: str) -> Any:
    return source_event(
        registered(contact, consents=(consent(Channel.SMS),), preferred_channel=Channel.SMS)
    )


async def test_webhook_failures_are_retried_with_backoff_then_reported(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    webhook = FlakyWebhook({"flaky": [503, 503], "down": [503] * 5, "rejected": [400]})
    url = await webhook.start()
    settings = settings_for(
        webhook_url=url, webhook_secret=SECRET, delivery_max_attempts=3, **NEVER_QUIET
    )
    try:
        async with serving(create_app(settings)):
            for contact in sorted(CONTACTS):
                await publish(infra.kafka_bootstrap, namespace, sms_contact(contact))
            # Until each contact has its outcome (about a second alone; the bound is for a
            # loaded machine, where a CI run once had none for "rejected" after 30 s).
            events = await notifications(
                infra.kafka_bootstrap,
                namespace,
                lambda es: {e.data.contact_id for e in outcomes(es)} == CONTACTS,
                timeout=90,
            )
    finally:
        await webhook.stop()

    assert sorted(e.data.contact_id for e in outcomes(events)) == sorted(CONTACTS)  # one each
    sent = {e.data.contact_id: e.data for e in of_type(events, "NotificationSent")}
    failed = {e.data.contact_id: e.data for e in of_type(events, "NotificationFailed")}
    assert sent["flaky"].channel is Channel.SMS and sent["flaky"].consent.channel is Channel.SMS
    assert (failed["down"].permanent, failed["down"].attempts) == (False, 3)
    assert failed["down"].reason == "webhook HTTP 503"
    assert (failed["rejected"].permanent, failed["rejected"].attempts) == (True, 1)
    attempts = [payload["contact_id"] for payload, _, _ in webhook.received]
    assert [attempts.count(c) for c in ("flaky", "down", "rejected")] == [3, 3, 1]
    for payload, headers, body in webhook.received:
        timestamp, digest = (
            part.split("=", 1)[1] for part in headers["x-rapport-signature"].split(",")
        )
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        assert hmac.compare_digest(digest, expected.hexdigest())
        assert headers["x-rapport-delivery-id"] == payload["notification_id"]
        assert payload["to"] == "+36301234567" and payload["locale"] == "hu"


async def test_in_app_messages_are_readable_over_http_and_erased_with_the_contact(
    settings_for: Any, infra: Any, namespace: str, mongo_db: Any
) -> None:
    trigger = source_event(
        registered(
            "laila",
            consents=(consent(Channel.IN_APP),),
            language="ar-SA",
            time_zone="Asia/Riyadh",
            country="SA",
        )
    )
    daytime = SettableClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # 12:00 in Riyadh
    async with serving(create_app(settings_for(), clock=daytime)) as client:
        await publish(infra.kafka_bootstrap, namespace, trigger)

        async def inbox() -> list[dict[str, Any]]:
            response = await client.get("/contacts/laila/inbox")
            assert response.status_code == 200, response.text
            return list(response.json())

        # Returns as soon as the message is there (under a second alone); the bound is for a
        # loaded machine, where a CI run once saw nothing after 30 s.
        messages = await eventually(inbox, timeout=90)
        assert len(messages) == 1
        assert (messages[0]["locale"], messages[0]["direction"]) == ("ar", "rtl")
        assert messages[0]["body"].startswith("مرحباً Kovács Anna،")  # no form of address stored
        unauthorised = await client.get("/contacts/laila/inbox", headers={"Authorization": ""})
        assert unauthorised.status_code == 401

        erased = ContactErased(contact_id="laila", erased_at=datetime(2026, 11, 24, tzinfo=UTC))
        await publish(infra.kafka_bootstrap, namespace, source_event(erased))
        await eventually(inbox, expected=[])
        card = await mongo_db["directory"].find_one({"_id": "laila"})
        assert card["erased"] and card["name"] is None and card["email"] is None
