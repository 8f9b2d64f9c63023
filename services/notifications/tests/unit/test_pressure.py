"""The contact-pressure budget: the pure rules, and the dispatcher drawing on it for survey
invitations and campaigns alike (in-memory fakes)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from prometheus_client import CollectorRegistry

from rapport_notifications.adapters.metrics import NotificationMetrics
from rapport_notifications.domain.campaigns import (
    Campaign,
    CampaignRequest,
    LocalizedMessage,
    OverBudget,
    delivery_for,
)
from rapport_notifications.domain.decision import Fail, Postpone, Route, Send
from rapport_notifications.domain.pressure import (
    Capped,
    Entry,
    PressureBudget,
    Spent,
    TemplateCap,
    entry_for,
    over_budget,
    released,
    reserved,
)
from rapport_notifications.domain.templates import Template
from rapport_notifications.service_layer.ports import DeliveryError
from rapport_schemas.common import Channel
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)
from services.notifications.tests.unit.fakes import FakeChannel
from services.notifications.tests.unit.fakes_campaigns import FakeCampaigns, FakePressureBudgets
from services.notifications.tests.unit.samples import NOW, card, plan
from services.notifications.tests.unit.test_dispatcher import World, world

WEEK = PressureBudget(limit=2, window=timedelta(days=7))
ONE_A_WEEK = PressureBudget(limit=1, window=timedelta(days=7))


def test_entries_are_reserved_up_to_the_limit_then_the_budget_is_spent() -> None:
    first = reserved((), Entry("a", NOW), WEEK)
    assert isinstance(first, tuple)
    second = reserved(first, Entry("b", NOW + timedelta(hours=1)), WEEK)
    assert isinstance(second, tuple)
    assert [entry.key for entry in second] == ["a", "b"]
    assert reserved(second, Entry("c", NOW + timedelta(hours=2)), WEEK) == Spent(
        free_at=NOW + timedelta(days=7)
    )


def test_entries_leave_the_rolling_window_and_a_held_key_is_not_counted_twice() -> None:
    old = (Entry("a", NOW - timedelta(days=7)), Entry("b", NOW - timedelta(days=1)))
    assert reserved(old, Entry("c", NOW), WEEK) == (
        Entry("b", NOW - timedelta(days=1)),
        Entry("c", NOW),
    )
    full = (Entry("b", NOW), Entry("c", NOW))
    assert reserved(full, Entry("c", NOW), WEEK) == full  # a retried send keeps its entry
    assert released(full, "c") == (Entry("b", NOW),)


CAPPED_WEEK = PressureBudget(
    limit=2,
    window=timedelta(days=7),
    caps={"purchase_thank_you": TemplateCap(limit=1, window=timedelta(days=30))},
)


def test_a_cap_and_the_budget_are_checked_together_in_one_reservation() -> None:
    thank_you = entry_for(plan(Template.PURCHASE_THANK_YOU), NOW, CAPPED_WEEK)
    invitation = entry_for(plan(Template.SURVEY_INVITATION), NOW, CAPPED_WEEK)
    assert thank_you == Entry(
        plan(Template.PURCHASE_THANK_YOU).key, NOW, "purchase_thank_you", False
    )
    assert invitation is not None and invitation.budget and invitation.template == ""
    assert entry_for(plan(Template.WELCOME), NOW, CAPPED_WEEK) is None  # neither counts it
    held = reserved((), thank_you, CAPPED_WEEK)
    assert isinstance(held, tuple)
    # The transactional thank-you leaves the budget whole: two invitations still fit.
    for n in range(2):
        held = reserved(held, Entry(f"inv-{n}", NOW + timedelta(hours=n)), CAPPED_WEEK)
        assert isinstance(held, tuple)
    assert reserved(held, Entry("inv-2", NOW), CAPPED_WEEK) == Spent(
        free_at=NOW + timedelta(days=7)
    )
    second = Entry("thanks-2", NOW + timedelta(days=20), "purchase_thank_you", False)
    assert reserved(held, second, CAPPED_WEEK) == Capped("purchase_thank_you")


def test_entries_are_kept_as_long_as_the_longest_window_counts_them() -> None:
    thanks = Entry("thanks-1", NOW, "purchase_thank_you", False)
    invitation = Entry("inv-1", NOW)
    held = (thanks, invitation)
    later = NOW + timedelta(days=8)  # the invitation is out of the budget, the thank-you is not
    outcome = reserved(held, Entry("inv-2", later), CAPPED_WEEK)
    assert outcome == (thanks, invitation, Entry("inv-2", later))
    again = Entry("thanks-2", later, "purchase_thank_you", False)
    assert reserved(held, again, CAPPED_WEEK) == Capped("purchase_thank_you")
    after_cap = NOW + timedelta(days=30, seconds=1)
    assert reserved(
        held, Entry("thanks-2", after_cap, "purchase_thank_you", False), CAPPED_WEEK
    ) == (Entry("thanks-2", after_cap, "purchase_thank_you", False),)
    # A released thank-you frees the cap at once: its message never reached the customer.
    assert isinstance(reserved(released(held, "thanks-1"), again, CAPPED_WEEK), tuple)


def test_an_over_budget_recipient_is_skipped_or_deferred_as_the_campaign_says() -> None:
    send = Send(Route(Channel.EMAIL, "a@example.org", None), "tr", "Europe/Istanbul")
    spent = Spent(free_at=NOW + timedelta(days=2))
    skipping = delivery_for(_campaign(OverBudget.SKIP), "c1", NOW)
    deferring = delivery_for(_campaign(OverBudget.DEFER), "c1", NOW)
    assert over_budget(skipping, send, spent) == Fail("pressure_budget", Channel.EMAIL)
    assert over_budget(deferring, send, spent) == Postpone(
        NOW + timedelta(days=2), "pressure_budget", Channel.EMAIL
    )


def _campaign(over: OverBudget = OverBudget.SKIP, campaign_id: str = "camp-1") -> Campaign:
    request = CampaignRequest(
        name="Loyalty",
        messages={
            "tr": LocalizedMessage(subject="Teşekkürler {name}", body="{brand} ailesindesiniz."),
            "en": LocalizedMessage(subject="Thank you {name}", body="Welcome to {brand}."),
        },
        over_budget=over,
    )
    return Campaign(campaign_id=campaign_id, request=request, created_at=NOW)


def budgeted(
    budget: PressureBudget, *campaigns: Campaign, email: FakeChannel | None = None
) -> World:
    w = world(card(), email=email)
    stored = FakeCampaigns()
    stored.stored.update({c.campaign_id: c for c in campaigns})
    w.dispatcher = dataclasses.replace(
        w.dispatcher, pressure=FakePressureBudgets(budget), campaigns=stored
    )
    return w


def _pressure(w: World) -> FakePressureBudgets:
    pressure = w.dispatcher.pressure
    assert isinstance(pressure, FakePressureBudgets)
    return pressure


async def test_a_survey_invitation_inside_the_window_makes_a_campaign_skip_the_contact() -> None:
    campaign = _campaign()
    w = budgeted(ONE_A_WEEK, campaign)
    await w.add(plan(Template.SURVEY_INVITATION))
    await w.dispatcher.dispatch_due()
    w.clock.advance(timedelta(days=6))
    await w.add(delivery_for(campaign, "c1", w.clock.now))
    await w.dispatcher.dispatch_due()
    sent, failed = w.events()
    assert isinstance(sent, NotificationSent) and sent.template == "survey_invitation"
    assert isinstance(failed, NotificationFailed)
    assert (failed.template, failed.reason, failed.permanent) == (
        "campaign",
        "pressure_budget",
        True,
    )
    assert len(w.email.sent) == 1


async def test_a_campaign_message_inside_the_window_holds_back_the_survey_invitation() -> None:
    campaign = _campaign()
    w = budgeted(ONE_A_WEEK, campaign)
    await w.add(delivery_for(campaign, "c1", w.clock.now))
    await w.dispatcher.dispatch_due()
    [message] = w.email.sent
    assert (message.rendered.subject, message.rendered.locale) == ("Teşekkürler Ayşe Yılmaz", "tr")
    await w.add(plan(Template.SURVEY_INVITATION))
    await w.dispatcher.dispatch_due()
    assert [type(e).__name__ for e in w.events()] == ["NotificationSent", "NotificationFailed"]
    assert w.events()[1].reason == "pressure_budget"
    # Once the campaign's entry has left the window the next invitation goes out.
    w.clock.advance(timedelta(days=7, seconds=1))
    await w.add(plan(Template.SURVEY_INVITATION, trigger_event_id="evt-2"))
    await w.dispatcher.dispatch_due()
    assert isinstance(w.events()[-1], NotificationSent) and len(w.email.sent) == 2


async def test_transactional_messages_neither_count_nor_are_held_by_the_budget() -> None:
    campaign = _campaign()
    w = budgeted(ONE_A_WEEK, campaign)
    await w.add(delivery_for(campaign, "c1", w.clock.now))
    await w.dispatcher.dispatch_due()
    await w.add(plan(Template.WELCOME))
    await w.dispatcher.dispatch_due()
    assert [type(e).__name__ for e in w.events()] == ["NotificationSent", "NotificationSent"]
    assert _pressure(w).held("c1") == [delivery_for(campaign, "c1", NOW).key]


async def test_a_deferring_campaign_holds_the_message_until_the_budget_has_room() -> None:
    campaign = _campaign(OverBudget.DEFER)
    w = budgeted(ONE_A_WEEK, campaign)
    await w.add(plan(Template.SURVEY_INVITATION))
    await w.dispatcher.dispatch_due()
    await w.add(delivery_for(campaign, "c1", w.clock.now))
    await w.dispatcher.dispatch_due()
    scheduled = w.events()[-1]
    assert isinstance(scheduled, NotificationScheduled)
    assert (scheduled.reason, scheduled.deliver_at) == ("pressure_budget", NOW + timedelta(days=7))
    w.clock.now = NOW + timedelta(days=7)
    await w.dispatcher.dispatch_due()
    assert isinstance(w.events()[-1], NotificationSent) and len(w.email.sent) == 2


async def test_a_failed_send_gives_its_entry_back() -> None:
    campaign = _campaign()
    refusing = FakeChannel(Channel.EMAIL, DeliveryError("smtp 550", permanent=True))
    w = budgeted(ONE_A_WEEK, campaign, email=refusing)
    await w.add(delivery_for(campaign, "c1", w.clock.now))
    await w.dispatcher.dispatch_due()
    [failed] = w.events()
    assert isinstance(failed, NotificationFailed) and failed.reason == "smtp 550"
    assert _pressure(w).held("c1") == []
    await w.add(plan(Template.SURVEY_INVITATION))
    await w.dispatcher.dispatch_due()
    assert isinstance(w.events()[-1], NotificationSent)


def test_an_over_budget_skip_is_counted_under_its_own_reason() -> None:
    registry = CollectorRegistry()
    metrics = NotificationMetrics.register(registry)
    metrics.count_failure("campaign", "pressure_budget", True)
    metrics.count_failure("campaign", "smtp 550", True)
    labels = {"template": "campaign", "permanent": "true"}
    sample = "rapport_notifications_failed_total"
    assert registry.get_sample_value(sample, {**labels, "reason": "pressure_budget"}) == 1
    assert registry.get_sample_value(sample, {**labels, "reason": "provider_error"}) == 1
