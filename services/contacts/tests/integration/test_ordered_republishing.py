"""What a subscriber of the contacts topic sees when many writes to one contact race: every event
exactly once, in the order of its ``sequence`` (issue 21: 50 concurrent PATCHes once gave 18
records for 11 events, one copy arriving after newer events of the same contact)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode
from rapport_schemas.contacts import ContactUpdated, InteractionLogged
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

PATCHES = 50


async def test_concurrent_patches_publish_each_event_once_in_sequence_order(
    settings, infra, contacts_topic, profile, mongo_db
) -> None:
    async with serving(create_app(settings)) as one, serving(create_app(settings)) as other:
        registered = await one.post("/contacts", json={"profile": profile()})
        contact_id = registered.json()["contact_id"]
        replicas = (one, other)
        answers = await asyncio.gather(
            *(
                replicas[n % 2].patch(f"/contacts/{contact_id}", json={"company": f"Company {n}"})
                for n in range(PATCHES)
            )
        )
        assert Counter(a.status_code for a in answers) == Counter({200: PATCHES})

        async def pending_entries() -> int:
            document = await mongo_db["contacts"].find_one({"_id": contact_id})
            return len(document["outbox"])

        await eventually(pending_entries, expected=0)
        # Two sweeps' worth of time with nothing pending: a late republish would land before this.
        await asyncio.sleep(2 * settings.outbox_sweep_interval_seconds + 1)
        sentinel = await one.post(
            f"/contacts/{contact_id}/interactions",
            json={"channel": "web", "direction": "inbound", "kind": "inquiry"},
        )
        assert sentinel.status_code == 201

    # One key, one partition: everything published before the sentinel is read before it.
    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: any(b"interaction_logged" in (r.value or b"") for r in rs),
        timeout=60,
    )
    events = [e for e in (decode(r.value or b"") for r in records) if e.subject == contact_id]
    distinct = {e.id for e in events}
    updates = [e for e in events if isinstance(e.data, ContactUpdated)]
    print(
        f"\n{PATCHES} concurrent PATCHes to one contact: {len(events)} records, "
        f"{len(distinct)} distinct event ids, {len({e.id for e in updates})} ContactUpdated"
    )
    assert len(events) == len(distinct), Counter(e.id for e in events).most_common(3)
    assert len({e.id for e in updates}) == PATCHES
    assert isinstance(events[-1].data, InteractionLogged)
    assert {e.sequencestream for e in events} == {f"contacts/{contact_id}"}
    sequences = [e.sequence for e in events]
    assert all(s is not None for s in sequences), sequences
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences), sequences
