"""Intake: a trigger plans its deliveries once; a redelivered trigger plans nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rapport_notifications.domain.delivery import State
from rapport_notifications.domain.templates import Template
from rapport_notifications.service_layer.intake import Intake
from rapport_schemas import wrap
from rapport_schemas.contacts import ContactErased, ContactRegistered, ContactUpdated
from services.notifications.tests.unit.fakes import FakeClock, FakeDeliveries, FakeErasureRequests
from services.notifications.tests.unit.samples import NOW, PROFILE

REGISTERED = wrap(
    ContactRegistered(contact_id="c1", profile=PROFILE, registered_at=NOW), source="/contacts"
)


def intake() -> tuple[Intake, FakeDeliveries, FakeErasureRequests, FakeClock]:
    deliveries, erasures, clock = FakeDeliveries(), FakeErasureRequests(), FakeClock(NOW)
    return Intake(deliveries, erasures, asyncio.Event(), clock), deliveries, erasures, clock


async def test_a_trigger_plans_its_delivery_due_now_and_wakes_the_worker() -> None:
    use_case, deliveries, erasures, _ = intake()
    await use_case.take_in([REGISTERED])
    [(key, document)] = deliveries.documents.items()
    assert key == f"{REGISTERED.id}|welcome|contact:c1"
    assert (document["template"], document["state"]) == (Template.WELCOME, State.PENDING)
    assert (document["due_at"], document["attempts"]) == (NOW, 0)
    assert use_case.wake.is_set()
    assert erasures.requested == {}


async def test_a_redelivered_trigger_plans_nothing() -> None:
    use_case, deliveries, _, clock = intake()
    await use_case.take_in([REGISTERED])
    clock.advance(timedelta(minutes=5))
    await use_case.take_in([REGISTERED])
    [document] = deliveries.documents.values()
    assert (document["due_at"], document["created_at"]) == (NOW, NOW)


async def test_an_event_that_asks_for_no_message_stores_nothing_and_lets_the_worker_sleep() -> None:
    use_case, deliveries, _, _ = intake()
    updated = ContactUpdated(
        contact_id="c1", profile=PROFILE, changed_fields=("name",), updated_at=NOW
    )
    await use_case.take_in([wrap(updated, source="/contacts")])
    assert deliveries.documents == {}
    assert not use_case.wake.is_set()


async def test_an_erasure_is_requested_once_however_often_it_arrives() -> None:
    use_case, deliveries, erasures, clock = intake()
    erased = wrap(ContactErased(contact_id="c1", erased_at=NOW), source="/contacts")
    await use_case.take_in([erased])
    clock.advance(timedelta(minutes=1))
    await use_case.take_in([erased])
    assert erasures.requested == {"c1": NOW}
    assert deliveries.documents == {}
    assert use_case.wake.is_set()
