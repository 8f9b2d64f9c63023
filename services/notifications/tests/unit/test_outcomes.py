"""Outcome recording: each outcome lands with its event in one write; event ids derive from the
delivery key, so a repeated write emits the same id; a lost claim records nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport_notifications.domain.decision import Postpone, Route
from rapport_notifications.domain.delivery import Claimed, LostClaim, State
from rapport_notifications.domain.templates import Template
from rapport_notifications.service_layer import outcomes
from rapport_notifications.service_layer.outcomes import OutcomeRecorder
from rapport_schemas.common import Channel
from rapport_schemas.notifications import NotificationScheduled, NotificationSent
from services.notifications.tests.unit.fakes import FakeCounters, FakeDeliveries
from services.notifications.tests.unit.samples import NOW, card, plan

LATER = NOW + timedelta(hours=10)


async def claimed(deliveries: FakeDeliveries, template: Template) -> Claimed:
    planned = plan(template)
    await deliveries.add([planned], NOW)
    taken = await deliveries.claim(planned.key, NOW, timedelta(minutes=2))
    assert taken is not None
    return taken


async def test_a_send_is_recorded_with_its_event_and_counted() -> None:
    deliveries, counters = FakeDeliveries(), FakeCounters()
    held = await claimed(deliveries, Template.WELCOME)
    route = Route(Channel.EMAIL, "ayse@example.com.tr", card().consent(Channel.EMAIL))
    await OutcomeRecorder(deliveries, counters).sent(
        held, recipient_id="c1", route=route, locale="pt_BR", at=NOW
    )
    [event] = deliveries.published
    assert isinstance(event.data, NotificationSent)
    assert (event.data.locale, event.data.sent_at, event.data.transactional) == ("pt-BR", NOW, True)
    assert (
        event.id
        == outcomes.sent(held.plan, recipient_id="c1", route=route, locale="x", now=LATER).id
    )
    document = deliveries.documents[held.plan.key]
    assert (document["state"], document["sent_at"], document["recipient_id"]) == (
        State.SENT,
        NOW,
        "c1",
    )
    assert (document["attempts"], document["claim"]) == (1, None)
    assert counters.sent == {("welcome", "email", "pt_BR"): 1}


async def test_each_postponement_has_its_own_event_id() -> None:
    deliveries, counters = FakeDeliveries(), FakeCounters()
    held = await claimed(deliveries, Template.WELCOME)
    await OutcomeRecorder(deliveries, counters).scheduled(
        held, Postpone(LATER, "weekend", Channel.EMAIL), NOW
    )
    [event] = deliveries.published
    assert isinstance(event.data, NotificationScheduled)
    assert (event.data.deliver_at, event.data.reason) == (LATER, "weekend")
    later = outcomes.scheduled(
        held.plan,
        deliver_at=LATER + timedelta(days=1),
        reason="weekend",
        channel=Channel.EMAIL,
        now=NOW,
    )
    assert later.id != event.id
    document = deliveries.documents[held.plan.key]
    assert (document["state"], document["due_at"], document["postponed"]) == (
        State.SCHEDULED,
        LATER,
        "weekend",
    )
    assert counters.scheduled == {("welcome", "weekend"): 1}


async def test_a_lost_claim_records_and_counts_nothing() -> None:
    deliveries, counters = FakeDeliveries(), FakeCounters()
    held = await claimed(deliveries, Template.WELCOME)
    deliveries.take_over(held.plan.key)
    with pytest.raises(LostClaim):
        await OutcomeRecorder(deliveries, counters).failed(
            held, "smtp 550", permanent=True, channel=Channel.EMAIL, attempts=1, now=NOW
        )
    assert deliveries.published == []
    assert counters.failed == {}
    assert deliveries.state(held.plan.key) is State.CLAIMED
