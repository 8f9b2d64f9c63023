"""The event webhooks' fan-out, sender round and admin use cases against in-memory fakes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from rapport_kit.idempotency import Answer as IdempotentAnswer
from rapport_kit.idempotency import KeyedRequest
from rapport_notifications.domain.webhook_delivery import Answer
from rapport_notifications.domain.webhook_signing import generate_secret, signature
from rapport_notifications.domain.webhook_subscription import (
    DisablePolicy,
    Subscription,
    SubscriptionState,
)
from rapport_notifications.service_layer.webhook_fanout import ReadEvent, WebhookFanOut
from rapport_notifications.service_layer.webhook_relay import WebhookRelay
from rapport_notifications.service_layer.webhook_retention import WebhookRetention
from rapport_notifications.service_layer.webhook_subscriptions import Wanted, WebhookAdmin
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import CloudEvent, wrap
from rapport_schemas.contacts import ContactErased, ContactProfile, ContactRegistered
from services.notifications.tests.unit.fakes import FakeClock
from services.notifications.tests.unit.webhook_fakes import (
    CountingWebhookMetrics,
    FakeWebhookDeliveries,
    FakeWebhookEvents,
    FakeWebhookSubscriptions,
    ScriptedSender,
)

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
SUBSCRIBED = frozenset({ContactRegistered.event_type, ContactErased.event_type})


class SecretShown(BaseModel):
    subscription_id: str
    secret: str


def registered(contact: str) -> CloudEvent[Any]:
    profile = ContactProfile(
        name="Kovács Anna",
        email=f"{contact}@example.hu",
        language="hu",
        time_zone="Europe/Budapest",
        country="HU",
        currency="HUF",
    )
    return wrap(
        ContactRegistered(contact_id=contact, profile=profile, registered_at=T0), source="/t"
    )


@dataclass
class Relay:
    """Fan-out, sender round and admin over one set of fakes, on a clock the test moves."""

    clock: FakeClock
    subscriptions: FakeWebhookSubscriptions
    deliveries: FakeWebhookDeliveries
    sender: ScriptedSender
    metrics: CountingWebhookMetrics
    fan_out: WebhookFanOut
    relay: WebhookRelay
    admin: WebhookAdmin
    events: FakeWebhookEvents
    offset: int = 0

    async def read(self, *events: CloudEvent[Any]) -> None:
        batch = []
        for event in events:
            self.offset += 1
            batch.append(ReadEvent(event, self.offset))
        await self.fan_out.take_in(batch)

    async def round_at(self, seconds: float) -> None:
        self.clock.now = T0 + timedelta(seconds=seconds)
        await self.relay.deliver_due()


def relay_with(
    *,
    personal_data: bool = True,
    disable: DisablePolicy | None = None,
    scripts: dict[str, list[Answer]] | None = None,
) -> Relay:
    clock = FakeClock(T0)
    subscription = Subscription(
        subscription_id="whs_1",
        url="https://example.com/hook",
        event_types=SUBSCRIBED,
        secret=generate_secret(),
        personal_data=personal_data,
    )
    subscriptions = FakeWebhookSubscriptions(subscription)
    events, deliveries = FakeWebhookEvents(), FakeWebhookDeliveries()
    sender, metrics = ScriptedSender(scripts), CountingWebhookMetrics()
    policy = NotificationsSettings().event_webhook_policy()  # the defaults: 5 s, ×4, 8 tries
    if disable is not None:
        policy = replace(policy, disable=disable)
    return Relay(
        clock,
        subscriptions,
        deliveries,
        sender,
        metrics,
        WebhookFanOut(subscriptions, events, deliveries, clock, asyncio.Event()),
        WebhookRelay(subscriptions, events, deliveries, sender, metrics, policy, clock),
        WebhookAdmin(
            subscriptions,
            deliveries,
            clock,
            allow_plain_http=False,
            secret_overlap=NotificationsSettings().event_webhook_secret_overlap(),
        ),
        events,
    )


async def test_a_contacts_later_event_waits_while_the_earlier_one_is_retried() -> None:
    first, second, other = registered("c"), registered("c"), registered("d")
    relay = relay_with(scripts={first.id: [Answer(status=503)]})
    await relay.read(first, second, other)
    await relay.round_at(0)
    assert relay.sender.ids() == [first.id, other.id]  # d is not held up by c
    await relay.round_at(4)  # the first retry is due after 5 s
    assert relay.sender.ids() == [first.id, other.id]
    await relay.round_at(5)
    assert relay.sender.ids() == [first.id, other.id, first.id, second.id]
    assert relay.metrics.counts == {"delivered": 3, "retried http_5xx": 1}


async def test_a_rejected_event_fails_at_once_and_the_next_one_goes() -> None:
    first, second = registered("c"), registered("c")
    relay = relay_with(scripts={first.id: [Answer(status=410)]})
    await relay.read(first, second)
    await relay.round_at(0)
    assert relay.sender.ids() == [first.id, second.id]
    assert relay.deliveries.states() == {first.id: "failed", second.id: "delivered"}
    assert relay.metrics.counts == {"delivered": 1, "failed rejected": 1}


async def test_after_the_eighth_failed_try_the_delivery_has_failed() -> None:
    event = registered("c")
    relay = relay_with(scripts={event.id: [Answer(error="timeout")] * 8})
    await relay.read(event)
    elapsed = 0.0
    for wait in [0.0, 5, 20, 80, 320, 1280, 5120, 20480]:
        elapsed += wait
        await relay.round_at(elapsed)
    await relay.round_at(elapsed + 86400)
    assert relay.sender.ids() == [event.id] * 8
    assert relay.metrics.counts == {"retried timeout": 7, "failed attempts_exhausted": 1}
    (log,) = await relay.admin.log("whs_1", state=None, limit=10)
    assert (log["state"], log["attempts"], len(log["log"])) == ("failed", 8, 8)


async def test_sustained_failure_disables_and_the_operator_re_enables() -> None:
    event = registered("c")
    disable = DisablePolicy(failures=2, span=timedelta(seconds=5))
    relay = relay_with(disable=disable, scripts={event.id: [Answer(status=500)] * 2})
    await relay.read(event)
    await relay.round_at(0)
    await relay.round_at(5)
    subscription = await relay.admin.get("whs_1")
    assert subscription.state is SubscriptionState.DISABLED and subscription.failures == 2
    await relay.round_at(3600)
    assert len(relay.sender.posts) == 2  # nothing is sent while disabled
    enabled = await relay.admin.enable("whs_1")
    assert (enabled.state, enabled.failures) == (SubscriptionState.ACTIVE, 0)
    await relay.round_at(3601)
    assert relay.sender.ids() == [event.id] * 3
    assert relay.metrics.counts["disabled"] == 1


async def test_a_claim_whose_sender_vanished_is_sent_again_with_the_same_id() -> None:
    event = registered("c")
    relay = relay_with()
    await relay.read(event)
    key = next(iter(relay.deliveries.documents))
    assert await relay.deliveries.claim(key, T0, timedelta(seconds=60)) is not None  # then crash
    await relay.round_at(30)
    assert relay.sender.posts == []
    await relay.round_at(61)
    assert relay.sender.ids() == [event.id]


async def test_a_redelivered_event_is_stored_and_sent_once() -> None:
    event = registered("c")
    relay = relay_with()
    await relay.read(event)
    await relay.read(event)
    await relay.round_at(0)
    await relay.round_at(1)
    assert relay.sender.ids() == [event.id]


async def test_a_replay_resends_the_range_with_the_original_ids() -> None:
    early = wrap(registered("c").data, source="/t", time=T0)
    late = wrap(registered("c").data, source="/t", time=T0 + timedelta(hours=2))
    relay = relay_with()
    await relay.read(early, late)
    await relay.round_at(0)
    replayed = await relay.admin.replay("whs_1", T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    await relay.round_at(1)
    assert replayed == 1
    assert relay.sender.ids() == [early.id, late.id, late.id]
    assert relay.sender.posts[1][1] == relay.sender.posts[2][1]  # the very same bytes


async def test_a_retried_replay_enqueues_no_second_delivery() -> None:
    event = wrap(registered("c").data, source="/t", time=T0)
    relay = relay_with()
    await relay.read(event)
    await relay.round_at(0)
    span = (T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    first = await relay.admin.replay("whs_1", *span)
    again = await relay.admin.replay("whs_1", *span)  # the client retries before the resend
    await relay.round_at(1)
    assert (first, again) == (1, 0)
    assert relay.sender.ids() == [event.id, event.id]  # sent once more, not twice more
    assert len(relay.deliveries.states()) == 1


async def test_a_keyed_creation_stores_its_answer_with_the_subscription_it_names() -> None:
    relay = relay_with()
    keyed = KeyedRequest("key-digest", "body-digest", "whs_chosen", T0 + timedelta(hours=24))
    answer: IdempotentAnswer[Subscription] = IdempotentAnswer(
        keyed, 201, lambda s: SecretShown(subscription_id=s.subscription_id, secret=s.secret)
    )
    wanted = Wanted(url="https://example.com/hooks", event_types=SUBSCRIBED, personal_data=False)
    created = await relay.admin.create(wanted, subscription_id=keyed.target, keep=answer.kept)
    kept = relay.subscriptions.kept["whs_chosen"]
    assert created.subscription_id == "whs_chosen"
    assert kept is not None
    assert (kept.key_id, kept.fingerprint, kept.status_code) == ("key-digest", "body-digest", 201)
    assert json.loads(kept.body) == {"subscription_id": "whs_chosen", "secret": created.secret}
    unkeyed = await relay.admin.create(wanted)
    assert unkeyed.subscription_id.startswith("whs_")
    assert relay.subscriptions.kept[unkeyed.subscription_id] is None


async def test_personal_fields_only_with_the_scope_and_never_after_an_erasure() -> None:
    event = registered("c")
    lean = relay_with(personal_data=False)
    await lean.read(event)
    await lean.round_at(0)
    assert "name" not in json.loads(lean.sender.posts[0][1])["data"]["profile"]
    full = relay_with(personal_data=True)
    await full.read(event)
    await full.read(wrap(ContactErased(contact_id="c", erased_at=T0), source="/t"))
    await full.admin.replay("whs_1", T0 - timedelta(days=1), T0 + timedelta(days=1))
    await full.round_at(0)
    bodies = [json.loads(body) for _, body, _ in full.sender.posts]
    assert [b["type"] for b in bodies] == [ContactRegistered.event_type, ContactErased.event_type]
    assert "name" not in bodies[0]["data"]["profile"]  # erased before it was sent


async def test_finished_deliveries_and_their_events_are_forgotten_after_the_horizon() -> None:
    delivered, waiting = registered("c"), registered("d")
    relay = relay_with(scripts={waiting.id: [Answer(status=503)]})
    await relay.read(delivered, waiting)
    await relay.round_at(0)
    keep_for = NotificationsSettings().event_webhook_retention()
    assert keep_for == timedelta(days=30)
    retention = WebhookRetention(relay.events, relay.deliveries, keep_for, relay.clock)
    relay.clock.now = T0 + keep_for - timedelta(seconds=1)
    await retention.prune()
    assert set(relay.events.events) == {delivered.id, waiting.id}
    relay.clock.now = T0 + keep_for + timedelta(seconds=1)
    await retention.prune()
    assert relay.deliveries.states() == {waiting.id: "pending"}  # the open one stays…
    assert set(relay.events.events) == {waiting.id}  # …and keeps its event


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends() -> None:
    first, second = registered("c"), registered("d")
    relay = relay_with()
    old = (await relay.admin.get("whs_1")).secret
    rotated = await relay.admin.rotate_secret("whs_1", None)
    assert rotated.previous_secret_until == T0 + timedelta(hours=24)  # the default overlap
    await relay.read(first)
    await relay.round_at(0)
    await relay.read(second)
    await relay.round_at(24 * 3600)
    during, after = (headers for _, _, headers in relay.sender.posts)
    assert during["webhook-signature"].count("v1,") == 2
    assert after["webhook-signature"].count("v1,") == 1
    body = relay.sender.posts[0][1]
    timestamp = int(during["webhook-timestamp"])
    expected = {signature(key, first.id, timestamp, body) for key in (old, rotated.secret)}
    assert set(during["webhook-signature"].split(" ")) == expected
