"""SLA clocks: a missed deadline is published exactly once, across restarts; an answer stops it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import CloudEvent, decode
from rapport_schemas.contacts import (
    ContactPersonalData,
    ContactRegistered,
    InteractionLogged,
    SlaBreached,
)
from rapport_schemas.envelope import sequence_text
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

# Mon 18 May 2026, 20:00 in Istanbul; 19 May is a Turkish public holiday, so the e-mail is due
# at the end of Wed 20 May: 18:00 +03:00.
RECEIVED = datetime(2026, 5, 18, 17, 0, tzinfo=UTC)
DUE = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)
COMPLAINT = {
    "channel": "email",
    "direction": "inbound",
    "kind": "complaint",
    "occurred_at": RECEIVED.isoformat(),
}


async def sla_checks(client) -> float:  # type: ignore[no-untyped-def]
    text = (await client.get("/metrics")).text
    match = re.search(r"^rapport_contacts_sla_checks_total (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def checked_twice(client) -> None:  # type: ignore[no-untyped-def]
    """Wait for two full rounds of the scheduler in this instance."""
    await eventually(lambda: _at_least(client, 2))


async def _at_least(client, rounds: int) -> bool:  # type: ignore[no-untyped-def]
    return await sla_checks(client) >= rounds


def breaches(records) -> list[CloudEvent[SlaBreached]]:  # type: ignore[no-untyped-def]
    events = [decode(r.value) for r in records]
    return [e for e in events if isinstance(e.data, SlaBreached)]


def of_contact(records, contact_id: str) -> list[CloudEvent[object]]:  # type: ignore[no-untyped-def]
    """The contact's events in partition order (one key, one partition)."""
    return [decode(r.value) for r in records if r.key == contact_id.encode()]


def first_sightings(events: list[CloudEvent[object]]) -> list[CloudEvent[object]]:
    """What a consumer deduplicating by event id applies, in order."""
    first: dict[str, CloudEvent[object]] = {}
    for event in events:
        first.setdefault(event.id, event)
    return list(first.values())


async def test_a_missed_deadline_is_published_exactly_once_across_restarts(
    settings, infra, contacts_topic, personal_topic, profile, clock
) -> None:
    clock.now = RECEIVED + timedelta(minutes=5)
    async with serving(create_app(settings, clock=clock)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        logged = await client.post(f"/contacts/{contact_id}/interactions", json=COMPLAINT)
        assert logged.json()["response_due_at"] == DUE.isoformat().replace("+00:00", "Z")
        await checked_twice(client)  # before the deadline: nothing to breach

    clock.now = DUE + timedelta(seconds=1)
    async with serving(create_app(settings, clock=clock)):
        records = await read_until(
            infra.kafka_bootstrap, contacts_topic, lambda rs: bool(breaches(rs))
        )
    # The outbox publishes at least once (a sweep may race the writer's own publish, a restart
    # may repeat an unacknowledged one): copies carry the same event id, which consumers dedupe.
    # Exactly once means one distinct id, for one breach.
    [breach_id] = {e.id for e in breaches(records)}
    [breach, *copies] = [e.data for e in breaches(records)]
    assert all(copy == breach for copy in copies)
    assert (breach.interaction_id, breach.due_at, breach.received_at) == (
        logged.json()["interaction_id"],
        DUE,
        RECEIVED,
    )

    async with serving(create_app(settings, clock=clock)) as client:
        await checked_twice(client)  # the restarted scheduler looked again
        sentinel = await client.post(
            f"/contacts/{contact_id}/interactions",
            json={
                "channel": "email",
                "direction": "outbound",
                "kind": "complaint",
                "in_reply_to": logged.json()["interaction_id"],
            },
        )
    sentinel_id = sentinel.json()["interaction_id"].encode()
    records = await read_until(
        infra.kafka_bootstrap, contacts_topic, lambda rs: any(sentinel_id in r.value for r in rs)
    )
    copies = breaches(records)
    print(f"\nSlaBreached: {len(copies)} record(s), {len({e.id for e in copies})} distinct id(s)")
    assert {e.id for e in copies} == {breach_id}
    # A repeat is the same event: same id and the same place in the contact's stream.
    assert {(e.sequencestream, e.sequence) for e in copies} == {
        (copies[0].sequencestream, copies[0].sequence)
    }
    # The breach follows the complaint it is about and precedes the answer written after it, in
    # the contact's sequence as in the partition.
    stream = first_sightings(of_contact(records, contact_id))
    assert [type(e.data) for e in stream] == [
        ContactRegistered,
        InteractionLogged,
        SlaBreached,
        InteractionLogged,
    ]
    assert {e.sequencestream for e in stream} == {copies[0].sequencestream}
    # Number 2 is the registration's personal record, on the personal topic in the same stream.
    assert [int(e.sequence or "0") for e in stream] == [1, 3, 4, 5]
    [personal] = {
        e.id: e
        for e in (
            decode(r.value) for r in await read_until(infra.kafka_bootstrap, personal_topic, bool)
        )
    }.values()
    assert isinstance(personal.data, ContactPersonalData)
    assert (personal.sequencestream, personal.sequence) == (
        copies[0].sequencestream,
        sequence_text(2),
    )


async def test_an_answer_in_time_means_no_breach(
    settings, infra, contacts_topic, profile, clock
) -> None:
    clock.now = RECEIVED + timedelta(minutes=5)
    async with serving(create_app(settings, clock=clock)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        logged = await client.post(f"/contacts/{contact_id}/interactions", json=COMPLAINT)
        clock.now = DUE - timedelta(hours=3)
        answer = {
            "channel": "email",
            "direction": "outbound",
            "kind": "complaint",
            "in_reply_to": logged.json()["interaction_id"],
        }
        assert (
            await client.post(f"/contacts/{contact_id}/interactions", json=answer)
        ).status_code == 201
        clock.now = DUE + timedelta(days=2)
        checks = await sla_checks(client)
        await eventually(lambda: _at_least(client, checks + 2))
        sentinel = await client.post(
            f"/contacts/{contact_id}/purchases", json={"amount": "1", "currency": "TRY"}
        )
    sentinel_id = sentinel.json()["purchase_id"].encode()
    records = await read_until(
        infra.kafka_bootstrap, contacts_topic, lambda rs: any(sentinel_id in r.value for r in rs)
    )
    assert breaches(records) == []
