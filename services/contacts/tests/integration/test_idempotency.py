"""Idempotency-Key against the real broker and MongoDB-wire server: a retried POST changes once,
publishes once and answers the first response; the key lives in the contact's own document."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from aiokafka import ConsumerRecord

from rapport_contacts.bootstrap import create_app
from rapport_kit.callers import key_identity
from rapport_schemas import EventData, decode
from rapport_schemas.contacts import Actor, ActorKind, ContactRegistered, InteractionLogged
from tests.support.kafka import read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def test_a_registration_sent_twice_with_one_key_is_one_contact_one_event_one_answer(
    settings, infra, contacts_topic, profile, mongo_db
) -> None:
    body = {"profile": profile()}
    key = {"Idempotency-Key": '"3f1c7a52-registration"'}
    async with serving(create_app(settings)) as client:
        first = await client.post("/contacts", json=body, headers=key)
        again = await client.post("/contacts", json=body, headers=key)
        contact_id = first.json()["contact_id"]
        # A later change of the same contact: same key, same partition, so it is read after any
        # registration the retry could have published.
        marker = await client.post(
            f"/contacts/{contact_id}/interactions",
            json={"channel": "phone", "direction": "inbound", "kind": "support"},
        )
        other = await client.post(
            "/contacts", json={"profile": profile(email="other@example.com")}, headers=key
        )
    assert (first.status_code, again.status_code, marker.status_code) == (201, 201, 201)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["detail"][0]["type"] == "idempotency_key_reused"

    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: any(isinstance(decode(r.value).data, InteractionLogged) for r in rs),
    )
    # Distinct events (by CloudEvents id): the outbox is at-least-once, so a sweeper may publish
    # an entry twice under load, and consumers drop the repeat by id; a second registration
    # would be a second id.
    events = distinct(r for r in records if r.key == contact_id.encode())
    assert [type(e) for e in events.values()] == [ContactRegistered, InteractionLogged]
    caller = Actor(kind=ActorKind.API_KEY, id=key_identity("test-key"))  # tests.support.services
    assert [getattr(e, "actor", None) for e in events.values()] == [caller, caller]
    assert await mongo_db["contacts"].count_documents({}) == 1
    stored = await mongo_db["contacts"].find_one({"_id": contact_id})
    [kept] = stored["idempotency"].values()  # in the contact's document, written with it
    assert (kept["status"], kept["body"]) == (201, first.text)


async def test_an_interaction_logged_twice_with_one_key_is_published_once(
    settings, infra, contacts_topic, profile
) -> None:
    call = {"channel": "email", "direction": "inbound", "kind": "complaint"}
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        path = f"/contacts/{contact_id}/interactions"
        answers = [
            await client.post(path, json=call, headers={"Idempotency-Key": "complaint-1"})
            for _ in range(3)
        ]
        marker = await client.post(
            f"/contacts/{contact_id}/purchases", json={"amount": "10", "currency": "TRY"}
        )
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert {a.content for a in answers} == {answers[0].content}
    assert marker.status_code == 201

    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: any(decode(r.value).type.endswith("purchase_recorded.v1") for r in rs),
    )
    logged = [e for e in distinct(records).values() if isinstance(e, InteractionLogged)]
    assert [e.interaction_id for e in logged] == [answers[0].json()["interaction_id"]]


def distinct(records: Iterable[ConsumerRecord[bytes, bytes]]) -> dict[str, EventData]:
    """The events of ``records`` by id, in order of first appearance."""
    events: dict[str, EventData] = {}
    for record in records:
        event = decode(record.value)
        events.setdefault(event.id, event.data)
    return events
