"""Outbound event webhooks against a real receiver on loopback that verifies every delivery with
the ``standardwebhooks`` library, with real Kafka and the MongoDB-wire server."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rapport_notifications.bootstrap import create_app
from rapport_notifications.domain.webhook_signing import generate_secret
from services.notifications.tests.integration.event_webhook_stories import (
    FAST_RETRIES,
    deliveries,
    finished,
    story,
    subscribe,
    webhook_figures,
)
from services.notifications.tests.integration.helpers import T0, publish
from services.notifications.tests.integration.webhook_receiver import Receiver, receiving
from tests.support.kafka import eventually, stays
from tests.support.services import serving

pytestmark = pytest.mark.integration
PERSONAL = ("name", "email", "phone")
OWN_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes of base64, supplied


async def test_each_contacts_events_arrive_signed_in_order_through_retries_and_failures(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    receiver = Receiver(
        scripts={
            "flaky": [503, 503],  # retried, then accepted; its later events wait
            "busy": [(429, "1")],  # Retry-After: 1 s honoured over the 0.3 s backoff
            "gone": [410],  # permanent at once
            "down": [503] * 4,  # the four tries used up
        }
    )
    settings = settings_for(**FAST_RETRIES)
    async with receiving(receiver) as base_url, serving(create_app(settings)) as api:
        full = await subscribe(api, receiver, base_url, "full", personal_data=True)
        lean = await subscribe(api, receiver, base_url, "lean", secret=OWN_SECRET)
        stories = {contact: story(contact) for contact in ("flaky", "busy", "gone", "down")}
        for events in stories.values():
            for event in events:
                await publish(infra.kafka_bootstrap, namespace, event)
        logs = {}
        for sub in (full, lean):
            logs[sub["subscription_id"]] = await eventually(
                lambda s=sub: deliveries(api, s["subscription_id"]),
                until=lambda log: len(log) == 12 and finished(log),
                timeout=60,
            )
        figures = await webhook_figures(api)
    print(f"\nwebhook delivery figures: {figures}")

    assert receiver.forged == 0
    for contact, events in stories.items():
        ids = [e.id for e in events]
        # Order kept: a contact's later event only after the earlier one was settled.
        expected = {"gone": ids[1:], "down": ids[1:]}.get(contact, ids)
        assert receiver.ids("full", contact) == expected
        assert receiver.ids("lean", contact) == expected
    for got in receiver.received:
        assert got.webhook_id == got.event["id"]  # webhook-id is the CloudEvent id
    flaky = [r.status for r in receiver.attempts("full") if r.event["subject"] == "flaky"]
    assert flaky == [503, 503, 200, 200, 200]
    busy = [r for r in receiver.attempts("full") if r.event["subject"] == "busy"]
    assert busy[1].at - busy[0].at >= 1.0  # Retry-After honoured
    log = {d["event_id"]: d for d in logs[full["subscription_id"]]}
    gone, down = log[stories["gone"][0].id], log[stories["down"][0].id]
    assert (gone["state"], gone["failure"], gone["attempts"], gone["last_status"]) == (
        "failed",
        "rejected",
        1,
        410,
    )
    assert (down["state"], down["failure"], down["attempts"]) == ("failed", "attempts_exhausted", 4)
    assert [line["reason"] for line in down["log"]] == ["http_503"] * 4
    assert figures == {"delivered": 20.0, "retried": 2 * (2 + 1 + 3), "failed": 4.0}
    for got in receiver.accepted("full"):
        profile = got.event["data"].get("profile")
        if profile:
            assert all(profile[field] for field in PERSONAL)
    for got in receiver.accepted("lean"):
        data = got.event["data"]
        assert "summary" not in data and not set(PERSONAL) & set(data.get("profile", {}))
        assert got.event["redacted"]
        assert got.event["data"]["contact_id"] == got.event["subject"]


async def test_a_failing_subscription_is_disabled_and_catches_up_in_order_when_re_enabled(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    receiver = Receiver(scripts={"ana": [503, 503, 503]})
    settings = settings_for(
        **FAST_RETRIES,
        event_webhooks_disable_after_failures=3,
        event_webhooks_disable_after_seconds=0,
    )
    async with receiving(receiver) as base_url, serving(create_app(settings)) as api:
        sub = await subscribe(api, receiver, base_url, "ops", personal_data=True)
        url = f"/webhooks/subscriptions/{sub['subscription_id']}"
        events = story("ana")
        for event in events:
            await publish(infra.kafka_bootstrap, namespace, event)
        disabled = await eventually(
            lambda: _get(api, url), until=lambda s: s["state"] == "disabled"
        )
        assert disabled["failures"] == 3 and "3 consecutive failed attempts" in (
            disabled["disabled_reason"] or ""
        )
        await stays(lambda: _count(receiver), 3, for_seconds=1.5)  # nothing sent while disabled
        enabled = (await api.post(f"{url}/enable")).json()
        assert (enabled["state"], enabled["failures"]) == ("active", 0)
        await eventually(lambda: _accepted(receiver, "ops"), expected=3)
    assert receiver.ids("ops", "ana") == [e.id for e in events]


async def test_a_replayed_range_is_sent_again_with_the_same_webhook_ids(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    receiver = Receiver()
    settings = settings_for(**FAST_RETRIES)
    async with receiving(receiver) as base_url, serving(create_app(settings)) as api:
        sub = await subscribe(api, receiver, base_url, "warehouse")
        url = f"/webhooks/subscriptions/{sub['subscription_id']}"
        events = story("replayed")  # at T0, T0+1 h, T0+2 h
        for event in events:
            await publish(infra.kafka_bootstrap, namespace, event)
        await eventually(lambda: _accepted(receiver, "warehouse"), expected=3)
        window = {
            "from": (T0 + timedelta(minutes=30)).isoformat(),
            "to": (T0 + timedelta(hours=3)).isoformat(),
        }
        answer = await api.post(f"{url}/replay", json=window)
        assert answer.json() == {"replayed": 2}
        await eventually(lambda: _accepted(receiver, "warehouse"), expected=5)
        log = await deliveries(api, sub["subscription_id"])
        bad = await api.post(f"{url}/replay", json={"from": window["to"], "to": window["from"]})
    ids = [e.id for e in events]
    assert receiver.ids("warehouse", "replayed") == [*ids, ids[1], ids[2]]
    assert Counter(r.webhook_id for r in receiver.received) == {ids[0]: 1, ids[1]: 2, ids[2]: 2}
    assert sorted(d["replays"] for d in log) == [0, 1, 1]
    assert bad.status_code == 422 and "to" in bad.text


async def test_two_instances_deliver_each_event_once_in_each_contacts_order(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    receiver = Receiver()
    contacts = [f"pair-{n}" for n in range(6)]
    settings = settings_for(**FAST_RETRIES)
    async with (
        receiving(receiver) as base_url,
        serving(create_app(settings)) as first,
        serving(create_app(settings)) as second,
    ):
        await subscribe(first, receiver, base_url, "shared")
        stories = {contact: story(contact) for contact in contacts}
        for events in stories.values():
            for event in events:
                await publish(infra.kafka_bootstrap, namespace, event)
        await eventually(lambda: _accepted(receiver, "shared"), expected=18, timeout=60)
        await stays(lambda: _accepted(receiver, "shared"), 18, for_seconds=1.0)
        sent = [await webhook_figures(api) for api in (first, second)]
    print(f"\nwebhook delivery figures per instance: {sent}")
    for contact, events in stories.items():
        assert receiver.ids("shared", contact) == [e.id for e in events]
    assert len({r.webhook_id for r in receiver.received}) == 18


async def test_after_a_secret_rotation_receivers_verify_with_the_old_or_the_new_secret(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    receiver = Receiver()
    async with receiving(receiver) as base_url, serving(create_app(settings_for())) as api:
        sub = await subscribe(api, receiver, base_url, "rotating")
        url = f"/webhooks/subscriptions/{sub['subscription_id']}"
        rotated = (await api.post(f"{url}/secret", json={})).json()
        first, second, third = story("rotating")
        await publish(infra.kafka_bootstrap, namespace, first)  # receiver: still the old secret
        await eventually(lambda: _accepted(receiver, "rotating"), expected=1)
        receiver.secrets["rotating"] = rotated["secret"]
        await publish(infra.kafka_bootstrap, namespace, second)
        await eventually(lambda: _accepted(receiver, "rotating"), expected=2)
        receiver.secrets["rotating"] = generate_secret()  # a receiver with a wrong secret
        await publish(infra.kafka_bootstrap, namespace, third)
        await eventually(lambda: _forged(receiver), expected=1)
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
    assert receiver.ids("rotating", "rotating") == [first.id, second.id]


async def test_each_send_continues_the_trace_the_event_was_read_in(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    exporter, receiver = InMemorySpanExporter(), Receiver()
    app = create_app(settings_for(), span_processors=(SimpleSpanProcessor(exporter),))
    async with receiving(receiver) as base_url, serving(app) as api:
        await subscribe(api, receiver, base_url, "traced")
        event = story("traced")[0]
        await publish(infra.kafka_bootstrap, namespace, event)
        await eventually(lambda: _accepted(receiver, "traced"), expected=1)
    spans = exporter.get_finished_spans()
    (send,) = [s for s in spans if s.name == "webhook send"]
    receives = {
        s.context.span_id
        for s in spans
        if s.name.endswith(" receive")
        and (s.attributes or {}).get("messaging.message.id") == event.id
    }
    assert send.parent is not None and send.parent.span_id in receives
    (got,) = receiver.received
    assert got.traceparent is not None
    assert got.traceparent.split("-")[1] == f"{send.context.trace_id:032x}"
    assert dict(send.attributes or {}) == {
        "rapport.event_type": event.type,
        "messaging.message.id": event.id,
        "rapport.webhook.outcome": "http_200",
    }  # no URL, nothing from the event's data


async def test_subscriptions_are_validated_and_the_secret_shown_once(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    async with serving(create_app(settings_for())) as api:
        refused = {
            "url": await api.post(
                "/webhooks/subscriptions",
                json={"url": "ftp://example.com/x", "event_types": ["rapport.contacts.x.v1"]},
            ),
            "secret": await api.post(
                "/webhooks/subscriptions",
                json={
                    "url": "https://example.com/x",
                    "event_types": ["rapport.contacts.contact_registered.v1"],
                    "secret": "plain-password",
                },
            ),
        }
        created = await api.post(
            "/webhooks/subscriptions",
            json={
                "url": "https://example.com/x",
                "event_types": ["rapport.contacts.contact_registered.v1"],
                "filters": {"countries": ["DE"]},
            },
        )
        url = f"/webhooks/subscriptions/{created.json()['subscription_id']}"
        shown = await api.get(url)
        changed = await api.patch(url, json={"filters": {"changed_fields": ["email"]}})
        listed = await api.get("/webhooks/subscriptions")
        removed = await api.delete(url)
        gone = await api.get(url)
    assert refused["url"].status_code == 422 and "event_types" in refused["url"].text
    assert refused["secret"].status_code == 422 and "whsec_" in refused["secret"].text
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert "secret" not in shown.json() and "secret" not in listed.text
    assert changed.json()["filters"] == {"countries": [], "changed_fields": ["email"]}
    assert (removed.status_code, gone.status_code) == (204, 404)


async def _get(api: Any, url: str) -> dict[str, Any]:
    found: dict[str, Any] = (await api.get(url)).json()
    return found


async def _count(receiver: Receiver) -> int:
    return len(receiver.received)


async def _accepted(receiver: Receiver, endpoint: str) -> int:
    return len(receiver.accepted(endpoint))


async def _forged(receiver: Receiver) -> int:
    return receiver.forged
