"""Erasure: the contact's waiting messages are dropped with a NotificationFailed, its stored
personal data and in-app inbox go, and the request is done."""

from __future__ import annotations

from datetime import timedelta

from rapport_notifications.domain.delivery import State
from rapport_notifications.domain.templates import Template
from rapport_notifications.service_layer.erasure import Eraser
from rapport_schemas.notifications import NotificationFailed
from services.notifications.tests.unit.fakes import (
    FakeClock,
    FakeDeliveries,
    FakeErasureRequests,
    FakeInbox,
)
from services.notifications.tests.unit.samples import NOW, plan


async def test_an_erasure_drops_waiting_messages_and_forgets_the_contact() -> None:
    deliveries, requests, inbox = FakeDeliveries(), FakeErasureRequests(), FakeInbox()
    clock = FakeClock(NOW + timedelta(minutes=1))
    pending = plan(Template.PURCHASE_THANK_YOU)
    scheduled = plan(Template.WELCOME)
    being_sent = plan(Template.COMPLAINT_ACKNOWLEDGEMENT)
    someone_else = plan(Template.WELCOME, contact_id="c2")
    await deliveries.add([pending, scheduled, being_sent, someone_else], NOW)
    deliveries.documents[scheduled.key]["state"] = State.SCHEDULED
    deliveries.documents[being_sent.key].update(state=State.SENDING, claim="the-worker")
    inbox.stored = {"c1": [{"_id": "n1"}], "c2": [{"_id": "n2"}]}
    await requests.request("c1", NOW)

    assert await Eraser(requests, deliveries, deliveries, inbox, clock).erase_requested() == 1

    dropped = {event.data.notification_id: event.data for event in deliveries.published}
    assert set(dropped) == {pending.notification_id, scheduled.notification_id}
    for event in dropped.values():
        assert isinstance(event, NotificationFailed)
        assert (event.reason, event.permanent, event.attempts, event.channel) == (
            "contact_erased",
            True,
            0,
            None,
        )
        assert event.failed_at == clock()
    states = {key: d["state"] for key, d in deliveries.documents.items()}
    assert states == {
        pending.key: State.FAILED,
        scheduled.key: State.FAILED,
        being_sent.key: State.SENDING,  # left to its worker
        someone_else.key: State.PENDING,
    }
    facts = {key: d["facts"] for key, d in deliveries.documents.items()}
    assert facts[pending.key] == facts[being_sent.key] == {}
    assert facts[someone_else.key] == someone_else.facts
    assert inbox.stored == {"c2": [{"_id": "n2"}]}
    assert requests.requested == {}


async def test_nothing_requested_erases_nothing() -> None:
    deliveries, requests, inbox = FakeDeliveries(), FakeErasureRequests(), FakeInbox()
    await deliveries.add([plan(Template.WELCOME)], NOW)
    eraser = Eraser(requests, deliveries, deliveries, inbox, FakeClock(NOW))
    assert await eraser.erase_requested() == 0
    assert deliveries.published == []
    [document] = deliveries.documents.values()
    assert document["state"] is State.PENDING
