"""Personal data on rapport.contacts.personal, on the real Kafka and FerretDB (issue 20).

What an outside subscriber reads: the event topic carries no name, e-mail, phone or summary; the
personal topic carries them under the contract keys; an erasure tombstones every key and is
followed by one ``ErasureCompleted``, also when the process stopped in between; with
``PRODUCE_V1_EVENTS`` the v1 copies are there, marked ``rapportcopyof``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from rapport_contacts.bootstrap import create_app
from rapport_contacts.service_layer.erasure import ErasureCompletion
from rapport_kit.admin import personal_topic_configs, topic_configs
from rapport_schemas import CloudEvent, decode
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    ErasureCompleted,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
)
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

Records = list[ConsumerRecord[bytes, bytes]]
SUMMARY = "Kargo üç gündür Kadıköy şubesinde bekliyor, müşteri iade istiyor"


def personal_bytes(profile: dict[str, Any]) -> dict[str, bytes]:
    """What of the person a record could hold, as it would appear in its UTF-8 JSON."""
    return {
        "name": profile["name"].encode(),
        "email": profile["email"].encode(),
        "phone": profile["phone"].encode(),
        "company": profile["company"].encode(),
        "summary": SUMMARY.encode(),
    }


def hits(records: Records, person: dict[str, bytes]) -> dict[str, int]:
    """How many records (distinct events: a repeated publish is one) hold each personal value;
    a tombstone holds nothing."""
    return {
        name: len({decode(r.value).id for r in records if r.value and value in r.value})
        for name, value in person.items()
    }


def events_of(records: Records) -> Iterator[CloudEvent[Any]]:
    return (decode(r.value) for r in records if r.value is not None)


def of_type(records: Records, event_type: type[object]) -> list[CloudEvent[Any]]:
    return [e for e in events_of(records) if type(e.data) is event_type]


def has(event_type: type[object], count: int = 1) -> Callable[[Records], bool]:
    return lambda records: len({e.id for e in of_type(records, event_type)}) >= count


def tombstoned(keys: set[bytes]) -> Callable[[Records], bool]:
    return lambda records: keys <= {r.key for r in records if r.value is None}


async def register_and_call(client, profile: dict[str, Any]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    registered = await client.post("/contacts", json={"profile": profile})
    assert registered.status_code == 201, registered.text
    contact_id = registered.json()["contact_id"]
    call = {"channel": "phone", "direction": "inbound", "kind": "complaint", "summary": SUMMARY}
    logged = await client.post(f"/contacts/{contact_id}/interactions", json=call)
    assert logged.status_code == 201, logged.text
    return contact_id, logged.json()["interaction_id"]


async def test_personal_data_travels_only_on_the_personal_topic_and_erasure_tombstones_it(
    settings, infra, contacts_topic, personal_topic, profile
) -> None:
    person = personal_bytes(profile())
    async with serving(create_app(settings)) as client:
        contact_id, interaction_id = await register_and_call(client, profile())
        # The contacts API still answers the whole profile, from the contacts store.
        stored = (await client.get(f"/contacts/{contact_id}")).json()["profile"]
        assert (stored["name"], stored["email"], stored["phone"]) == (
            profile()["name"],
            profile()["email"],
            profile()["phone"],
        )
        events = await read_until(infra.kafka_bootstrap, contacts_topic, has(InteractionLogged))
        personal = await read_until(infra.kafka_bootstrap, personal_topic, has(InteractionSummary))

        erased = await client.delete(f"/contacts/{contact_id}")
        assert erased.status_code == 200, erased.text
        events_after = await read_until(
            infra.kafka_bootstrap, contacts_topic, has(ErasureCompleted)
        )
        profile_key = contact_id.encode()
        summary_key = f"{contact_id}:interaction:{interaction_id}".encode()
        personal_after = await read_until(
            infra.kafka_bootstrap, personal_topic, tombstoned({profile_key, summary_key})
        )

    before = {"events": hits(events, person), "personal": hits(personal, person)}
    after = {"events": hits(events_after, person), "personal": hits(personal_after, person)}
    print(f"\nrecords read before erasure: events {len(events)}, personal {len(personal)}")
    print(f"personal values found before erasure (records per value): {before}")
    print(f"records read after erasure: events {len(events_after)}, personal {len(personal_after)}")
    print(f"personal values found after erasure (records per value): {after}")
    print(f"personal topic keys in order: {[(r.key, r.value is None) for r in personal_after]}")
    print(f"event types in order: {[e.type for e in events_of(events_after)]}")

    assert before["events"] == dict.fromkeys(person, 0)
    assert before["personal"] == {"name": 1, "email": 1, "phone": 1, "company": 1, "summary": 1}
    [registered] = of_type(events, ContactRegistered)
    assert registered.type == "rapport.contacts.contact_registered.v2"
    [logged] = of_type(events, InteractionLogged)
    assert logged.data.has_summary and logged.type.endswith(".v2")
    # The contract keys, and every record of the person on them.
    keyed = {(r.key, type(decode(r.value).data)) for r in personal}
    assert keyed == {(profile_key, ContactPersonalData), (summary_key, InteractionSummary)}
    # One stream per contact across both topics: the records are numbered with the events.
    numbered = {e.id: int(e.sequence or 0) for e in (*events_of(events), *events_of(personal))}
    assert sorted(numbered.values()) == [1, 2, 3, 4]

    assert after["events"] == dict.fromkeys(person, 0)
    tombstones = [r.key for r in personal_after if r.value is None]
    assert sorted(tombstones) == sorted([profile_key, summary_key])
    # The tombstones come after the records they erase (same key, same partition).
    for key in (profile_key, summary_key):
        written = [r for r in personal_after if r.key == key and r.value is not None]
        erasing = [r for r in personal_after if r.key == key and r.value is None]
        assert {r.partition for r in written} == {r.partition for r in erasing}
        assert max(r.offset for r in written) < min(r.offset for r in erasing)
    [erasure] = {e.id: e for e in of_type(events_after, ContactErased)}.values()
    completions = {e.id: e for e in of_type(events_after, ErasureCompleted)}
    [completed] = completions.values()
    assert completed.data.contact_id == contact_id
    assert completed.data.erased_at == erasure.data.erased_at
    assert completed.data.completed_at >= completed.data.erased_at
    deadline = timedelta(hours=settings.erasure_deadline_hours)
    assert completed.data.deadline_at - completed.data.erased_at == deadline


async def test_a_completion_due_when_the_process_stopped_is_published_after_the_restart(
    settings, infra, contacts_topic, personal_topic, profile, mongo_db, monkeypatch
) -> None:
    async def stopped_before_completing(self: ErasureCompletion) -> int:
        return 0

    with monkeypatch.context() as patched:
        patched.setattr(ErasureCompletion, "complete_once", stopped_before_completing)
        async with serving(create_app(settings)) as client:
            contact_id, _ = await register_and_call(client, profile())
            assert (await client.delete(f"/contacts/{contact_id}")).status_code == 200

            async def tombstones_acknowledged() -> bool:
                document = await mongo_db["contacts"].find_one({"_id": contact_id})
                return document["outbox_pending"] is False and document["erasure_pending"]

            await eventually(tombstones_acknowledged)
    events = await read_until(infra.kafka_bootstrap, contacts_topic, has(ContactErased))
    assert of_type(events, ErasureCompleted) == []

    async with serving(create_app(settings)):
        events = await read_until(infra.kafka_bootstrap, contacts_topic, has(ErasureCompleted))
    [completed] = {e.id: e for e in of_type(events, ErasureCompleted)}.values()
    assert completed.data.contact_id == contact_id
    document = await mongo_db["contacts"].find_one({"_id": contact_id})
    assert "erasure_pending" not in document
    assert document["erasure_completed_at"] == completed.data.completed_at


async def test_while_migrating_the_v1_copies_follow_their_v2_marked_rapportcopyof(
    settings, infra, contacts_topic, profile
) -> None:
    migrating = settings.model_copy(update={"produce_v1_events": True})
    async with serving(create_app(migrating)) as client:
        contact_id, _ = await register_and_call(client, profile())
        patched = await client.patch(f"/contacts/{contact_id}", json={"phone": "+905329876543"})
        assert patched.status_code == 200, patched.text
        events = await read_until(infra.kafka_bootstrap, contacts_topic, has(ContactUpdatedV1))

    stream = list({e.id: e for e in events_of(events)}.values())
    print(f"\nwith PRODUCE_V1_EVENTS: {[(e.type, e.sequence, e.rapportcopyof) for e in stream]}")
    assert [type(e.data) for e in stream] == [
        ContactRegistered,
        ContactRegisteredV1,
        InteractionLogged,
        InteractionLoggedV1,
        ContactUpdated,
        ContactUpdatedV1,
    ]
    for v2, v1 in zip(stream[::2], stream[1::2], strict=True):
        assert v1.rapportcopyof == v2.id and v1.id != v2.id and v2.rapportcopyof is None
        assert (v1.subject, v1.sequence, v1.sequencestream) == (
            v2.subject,
            v2.sequence,
            v2.sequencestream,
        )
    assert stream[1].data.profile.email == profile()["email"]
    assert stream[3].data.summary == SUMMARY
    assert stream[5].data.profile.phone == "+905329876543"


async def test_the_personal_topic_is_compacted_by_the_deadline_and_rolled_after_an_erasure(
    settings, infra, personal_topic, profile
) -> None:
    quick = settings.model_copy(update={"erasure_deadline_hours": 0.001})  # 3.6 s
    async with serving(create_app(quick)) as client:
        contact_id, _ = await register_and_call(client, profile())
        assert (await client.delete(f"/contacts/{contact_id}")).status_code == 200
        records = await read_until(
            infra.kafka_bootstrap,
            personal_topic,
            tombstoned({b"_roll:0", b"_roll:1", b"_roll:2"}),
        )
    rolls = {r.key: r.partition for r in records if (r.key or b"").startswith(b"_roll:")}
    assert rolls == {b"_roll:0": 0, b"_roll:1": 1, b"_roll:2": 2}

    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        configs = await topic_configs(admin, personal_topic)
    finally:
        await admin.close()
    wanted = personal_topic_configs(0.001)
    assert {key: configs[key][0] for key in wanted} == wanted
    assert wanted["segment.ms"] == "1200"
