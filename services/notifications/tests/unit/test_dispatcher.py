"""The dispatcher against in-memory fakes: each due delivery is decided, sent or held, and its
outcome recorded with its event exactly once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.decision import DeliveryPolicy
from rapport_notifications.domain.delivery import Retries, State
from rapport_notifications.domain.directory import ConsentRecord, ContactCard
from rapport_notifications.domain.pressure import PressureBudget, TemplateCap
from rapport_notifications.domain.quiet_hours import DeliveryWindow
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_notifications.service_layer.dispatcher import Dispatcher
from rapport_notifications.service_layer.outcomes import OutcomeRecorder
from rapport_notifications.service_layer.ports import DeliveryError
from rapport_schemas import CloudEvent
from rapport_schemas.common import Channel
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)
from services.notifications.tests.unit.fakes import (
    FakeChannel,
    FakeClock,
    FakeCounters,
    FakeDeliveries,
    FakeDirectory,
)
from services.notifications.tests.unit.fakes_campaigns import FakeCampaigns, FakePressureBudgets
from services.notifications.tests.unit.samples import CONTEXT, NOW, card, plan

CATALOGS = load_catalogs()
RETRIES = Retries(
    max_attempts=3,
    first_delay=timedelta(seconds=30),
    max_delay=timedelta(seconds=45),
    lease=timedelta(minutes=2),
)
EVENING = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)  # 22:30 in Istanbul: quiet hours
NEXT_MORNING = datetime(2026, 11, 25, 5, tzinfo=UTC)  # 08:00 in Istanbul
CAPS = {"purchase_thank_you": TemplateCap(limit=1, window=timedelta(hours=24))}


@dataclasses.dataclass
class World:
    dispatcher: Dispatcher
    deliveries: FakeDeliveries
    directory: FakeDirectory
    email: FakeChannel
    sms: FakeChannel
    counters: FakeCounters
    clock: FakeClock

    async def add(self, *plans: PlannedDelivery) -> None:
        await self.deliveries.add(plans, self.clock())

    def events(self) -> list[Any]:
        return [event.data for event in self.deliveries.published]


def world(
    *cards: ContactCard,
    email: FakeChannel | None = None,
    now: datetime = NOW,
    internal_time_zone: str = "UTC",
) -> World:
    deliveries, counters, clock = FakeDeliveries(), FakeCounters(), FakeClock(now)
    directory = FakeDirectory(*cards)
    channels = {
        Channel.EMAIL: email or FakeChannel(Channel.EMAIL),
        Channel.SMS: FakeChannel(Channel.SMS),
    }
    policy = DeliveryPolicy(
        window=DeliveryWindow(quiet_start=time(21), quiet_end=time(8)),
        channel_order=[Channel.EMAIL, Channel.SMS],
        available_channels=frozenset(channels),
        internal_locale="en",
        internal_time_zone=internal_time_zone,
        team_email="team@example.org",
        agent_emails={"agent-7": "agent7@example.org"},
        unknown_contact_grace=timedelta(minutes=10),
        unknown_contact_retry=timedelta(seconds=15),
    )
    dispatcher = Dispatcher(
        deliveries=deliveries,
        directory=directory,
        channels=channels,
        catalogs=CATALOGS,
        policy=policy,
        composition=lambda at: dataclasses.replace(CONTEXT, now=at),
        retries=RETRIES,
        default_locale="en",
        clock=clock,
        record=OutcomeRecorder(deliveries, counters),
        pressure=FakePressureBudgets(
            PressureBudget(limit=3, window=timedelta(days=7), caps=CAPS),
        ),
        campaigns=FakeCampaigns(),
    )
    return World(dispatcher, deliveries, directory, *channels.values(), counters, clock)  # type: ignore[arg-type]


def sms_only(**changes: object) -> ContactCard:
    consent = ConsentRecord(granted=True, source="sms-opt-in", changed_at=NOW)
    withdrawn = ConsentRecord(granted=False, source="unsubscribe", changed_at=NOW)
    return card(consents={"email": withdrawn, "sms": consent}, **changes)


async def test_a_due_delivery_is_sent_on_the_consented_channel_in_the_contacts_language() -> None:
    w = world(card())
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    assert await w.dispatcher.dispatch_due() == 1
    [message] = w.email.sent
    assert (message.address, message.notification_id) == (
        "ayse@example.com.tr",
        welcome.notification_id,
    )
    assert message.rendered.locale == "tr"
    [sent] = w.events()
    assert isinstance(sent, NotificationSent)
    assert (sent.channel, sent.locale, sent.contact_id) == (Channel.EMAIL, "tr", "c1")
    assert sent.consent is not None and sent.consent.source == "signup-form"
    document = w.deliveries.documents[welcome.key]
    assert (document["state"], document["attempts"], document["claim"]) == (State.SENT, 1, None)
    assert w.counters.sent == {("welcome", "email", "tr"): 1}


async def test_a_sent_delivery_is_not_sent_again() -> None:
    w = world(card())
    await w.add(plan(Template.WELCOME))
    await w.dispatcher.dispatch_due()
    await w.add(plan(Template.WELCOME))  # the trigger redelivered
    assert await w.dispatcher.dispatch_due() == 0
    assert len(w.email.sent) == 1 and len(w.events()) == 1


async def test_quiet_hours_hold_the_message_until_the_window_opens() -> None:
    w = world(card(), now=EVENING)
    welcome = plan(Template.WELCOME, received_at=EVENING)
    await w.add(welcome)
    await w.dispatcher.dispatch_due()
    assert w.email.sent == []
    [scheduled] = w.events()
    assert isinstance(scheduled, NotificationScheduled)
    assert (scheduled.deliver_at, scheduled.reason, scheduled.channel) == (
        NEXT_MORNING,
        "quiet_hours",
        Channel.EMAIL,
    )
    assert w.deliveries.state(welcome.key) is State.SCHEDULED
    assert w.counters.scheduled == {("welcome", "quiet_hours"): 1}
    w.clock.now = NEXT_MORNING - timedelta(seconds=1)
    assert await w.dispatcher.dispatch_due() == 0
    w.clock.now = NEXT_MORNING
    await w.dispatcher.dispatch_due()
    assert len(w.email.sent) == 1
    assert isinstance(w.events()[-1], NotificationSent)


async def test_an_internal_alert_ignores_the_customers_quiet_hours() -> None:
    w = world(card(), now=EVENING)
    await w.add(plan(Template.DETRACTOR_ALERT, received_at=EVENING))
    await w.dispatcher.dispatch_due()
    [message] = w.email.sent
    assert (message.address, message.rendered.locale) == ("agent7@example.org", "en")
    [sent] = w.events()
    assert isinstance(sent, NotificationSent) and sent.internal and sent.consent is None


async def test_without_email_consent_the_next_consented_channel_carries_the_message() -> None:
    w = world(sms_only())
    await w.add(plan(Template.WELCOME))
    await w.dispatcher.dispatch_due()
    assert w.email.sent == []
    [message] = w.sms.sent
    assert message.address == "+905321234567"
    [sent] = w.events()
    assert isinstance(sent, NotificationSent)
    assert sent.channel is Channel.SMS and sent.consent is not None
    assert sent.consent.source == "sms-opt-in"


async def test_without_any_consent_nothing_is_sent_and_the_failure_is_permanent() -> None:
    w = world(card(consents={}))
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    await w.dispatcher.dispatch_due()
    assert w.email.sent == [] and w.sms.sent == []
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed)
    assert (failed.reason, failed.permanent, failed.channel, failed.attempts) == (
        "no_consent",
        True,
        None,
        0,
    )
    assert w.deliveries.state(welcome.key) is State.FAILED
    assert w.counters.failed == {("welcome", "no_consent", True): 1}


async def test_a_frequency_cap_stops_the_second_message_of_a_template() -> None:
    w = world(card())
    first = plan(Template.PURCHASE_THANK_YOU, trigger_event_id="purchase-1")
    second = plan(Template.PURCHASE_THANK_YOU, trigger_event_id="purchase-2")
    await w.add(first)
    await w.dispatcher.dispatch_due()
    w.clock.advance(timedelta(hours=23))
    await w.add(second)
    await w.dispatcher.dispatch_due()
    assert len(w.email.sent) == 1
    sent, capped = w.events()
    assert isinstance(sent, NotificationSent) and sent.notification_id == first.notification_id
    assert isinstance(capped, NotificationFailed)
    assert (capped.notification_id, capped.reason, capped.channel) == (
        second.notification_id,
        "frequency_cap",
        Channel.EMAIL,
    )


async def test_the_cap_counts_only_within_its_window() -> None:
    w = world(card())
    await w.add(plan(Template.PURCHASE_THANK_YOU, trigger_event_id="purchase-1"))
    await w.dispatcher.dispatch_due()
    w.clock.advance(timedelta(hours=24, seconds=1))
    await w.add(plan(Template.PURCHASE_THANK_YOU, trigger_event_id="purchase-2"))
    await w.dispatcher.dispatch_due()
    assert len(w.email.sent) == 2
    assert all(isinstance(event, NotificationSent) for event in w.events())


async def test_a_transient_failure_is_retried_with_a_doubling_capped_delay() -> None:
    busy = DeliveryError("smtp 451", permanent=False)
    w = world(card(), email=FakeChannel(Channel.EMAIL, busy, busy))
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    await w.dispatcher.dispatch_due()
    document = w.deliveries.documents[welcome.key]
    assert (document["state"], document["attempts"]) == (State.PENDING, 1)
    assert (document["due_at"], document["last_error"]) == (NOW + timedelta(seconds=30), "smtp 451")
    assert w.events() == []
    w.clock.advance(timedelta(seconds=29))
    assert await w.dispatcher.dispatch_due() == 0
    w.clock.advance(timedelta(seconds=1))
    await w.dispatcher.dispatch_due()
    assert document["attempts"] == 2
    assert document["due_at"] == w.clock() + timedelta(seconds=45)  # 60 s, capped at 45
    w.clock.advance(timedelta(seconds=45))
    await w.dispatcher.dispatch_due()
    [sent] = w.events()
    assert isinstance(sent, NotificationSent)
    assert (document["state"], document["attempts"], len(w.email.sent)) == (State.SENT, 3, 1)


async def test_a_permanent_provider_error_fails_at_once() -> None:
    refused = DeliveryError("smtp 550", permanent=True)
    w = world(card(), email=FakeChannel(Channel.EMAIL, refused))
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    await w.dispatcher.dispatch_due()
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed)
    assert (failed.reason, failed.permanent, failed.attempts, failed.channel) == (
        "smtp 550",
        True,
        1,
        Channel.EMAIL,
    )
    assert w.deliveries.state(welcome.key) is State.FAILED
    assert w.counters.failed == {("welcome", "smtp 550", True): 1}


async def test_the_last_transient_failure_gives_up_as_not_permanent() -> None:
    busy = DeliveryError("smtp 451", permanent=False)
    w = world(card(), email=FakeChannel(Channel.EMAIL, busy, busy, busy))
    await w.add(plan(Template.WELCOME))
    for _ in range(RETRIES.max_attempts):
        await w.dispatcher.dispatch_due()
        w.clock.advance(RETRIES.max_delay)
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed)
    assert (failed.reason, failed.permanent, failed.attempts) == ("smtp 451", False, 3)
    assert w.email.sent == []


async def test_a_lost_claim_is_not_sent() -> None:
    w = world(card())
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    w.deliveries.after_claim = w.deliveries.take_over
    await w.dispatcher.dispatch_due()
    assert w.email.sent == [] and w.events() == []
    document = w.deliveries.documents[welcome.key]
    assert (document["state"], document["claim"]) == (State.CLAIMED, "another-worker")


async def test_an_expired_claim_is_retried_and_an_expired_send_is_failed_not_repeated() -> None:
    w = world(card())
    claimed_only = plan(Template.WELCOME, trigger_event_id="crashed-before-sending")
    sending = plan(Template.WELCOME, trigger_event_id="crashed-while-sending")
    await w.add(claimed_only, sending)
    for key, state in ((claimed_only.key, State.CLAIMED), (sending.key, State.SENDING)):
        document = w.deliveries.documents[key]
        document.update(state=state, claim="dead-worker", lease_until=NOW - timedelta(seconds=1))
    await w.dispatcher.dispatch_due()
    [message] = w.email.sent
    assert message.notification_id == claimed_only.notification_id
    by_id: dict[str, CloudEvent[Any]] = {e.data.notification_id: e for e in w.deliveries.published}
    unknown = by_id[sending.notification_id].data
    assert isinstance(unknown, NotificationFailed)
    assert (unknown.reason, unknown.permanent, unknown.attempts) == ("outcome_unknown", True, 1)
    assert isinstance(by_id[claimed_only.notification_id].data, NotificationSent)


async def test_an_unknown_contact_is_waited_for_then_given_up() -> None:
    w = world()
    welcome = plan(Template.WELCOME)
    await w.add(welcome)
    await w.dispatcher.dispatch_due()
    document = w.deliveries.documents[welcome.key]
    assert (document["state"], document["due_at"]) == (State.PENDING, NOW + timedelta(seconds=15))
    assert w.events() == []
    w.clock.advance(timedelta(minutes=10))
    await w.dispatcher.dispatch_due()
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed) and failed.reason == "unknown_contact"


async def test_a_merged_contact_is_reached_through_the_survivor() -> None:
    survivor = card(contact_id="c2", email="ayse.yilmaz@example.com.tr")
    w = world(card(merged_into="c2"), survivor)
    await w.add(plan(Template.WELCOME))
    await w.dispatcher.dispatch_due()
    [message] = w.email.sent
    assert (message.address, message.contact_id) == ("ayse.yilmaz@example.com.tr", "c2")
    [sent] = w.events()
    assert isinstance(sent, NotificationSent) and sent.contact_id == "c2"


async def test_an_erased_contact_gets_nothing() -> None:
    w = world(ContactCard(contact_id="c1", erased=True))
    await w.add(plan(Template.WELCOME))
    await w.dispatcher.dispatch_due()
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed) and failed.reason == "contact_erased"
    assert w.email.sent == []


async def test_a_message_that_cannot_be_rendered_fails_for_good_without_being_sent() -> None:
    w = world(card(), internal_time_zone="Nowhere/Atlantis")
    alert = plan(Template.DETRACTOR_ALERT)
    await w.add(alert)
    await w.dispatcher.dispatch_due()
    assert w.email.sent == []
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed)
    assert (failed.reason, failed.permanent, failed.attempts, failed.channel) == (
        "render_error",
        True,
        0,
        Channel.EMAIL,
    )
    assert w.deliveries.state(alert.key) is State.FAILED
