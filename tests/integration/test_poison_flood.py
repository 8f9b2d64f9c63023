"""Thousands of bad messages interleaved with good ones: every bad one is dead-lettered with its
reason, every good one is applied, and the consumer never stalls."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from bench.dataset import contact_events
from rapport_contacts.bootstrap import create_app
from rapport_contacts.settings import ContactsSettings
from rapport_schemas import topics
from rapport_schemas.contacts import InteractionLogged
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.suite

GOOD, BAD = 2_000, 2_000
ENVELOPE = {
    "specversion": "1.0",
    "id": "x",
    "source": "/fuzz",
    "time": "2026-01-01T00:00:00Z",
    "subject": "c",
}


def bad_message(rng: random.Random, index: int) -> tuple[bytes, str]:
    """A malformed message and the dead-letter reason it must get."""
    kind = index % 5
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 200)) + b"\xff{", "invalid_json"
    if kind == 1:
        return json.dumps({"specversion": "0.3", "id": index}).encode(), "invalid_envelope"
    if kind == 2:
        return json.dumps(
            {**ENVELOPE, "id": f"u{index}", "type": "rapport.nope.v9", "data": {}}
        ).encode(), "unknown_type"
    if kind == 3:
        data = {"interaction_id": "i", "contact_id": "bench1", "channel": "pigeon"}
        return json.dumps(
            {
                **ENVELOPE,
                "id": f"s{index}",
                "type": "rapport.contacts.interaction_logged.v1",
                "data": data,
            }
        ).encode(), "schema_violation"
    return b'{"pad": "' + b"x" * 300_000 + b'"}', "too_large"


async def test_poison_is_dead_lettered_and_good_events_still_apply(
    service_env, infra, namespace, mongo_db
):
    rng = random.Random(11)
    good = list(contact_events(contacts=GOOD // 10, interactions=GOOD - GOOD // 10))
    bad = [bad_message(rng, i) for i in range(BAD)]
    source = f"{namespace}.{topics.CONTACTS}"
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.kafka_bootstrap, acks="all", max_request_size=2_000_000
    )
    await producer.start()
    try:
        sends = []
        for index in range(GOOD + BAD):
            if index % 2 == 0:
                key, value = good[index // 2]
                sends.append(await producer.send(source, value, key=key))
            else:
                value, _ = bad[index // 2]
                headers = [("junk", b"\xff\xfe")] if index % 7 == 0 else []
                sends.append(
                    await producer.send(
                        source, value, key=f"bench{index % 200}".encode(), headers=headers
                    )
                )
        for sent in sends:
            await sent
    finally:
        await producer.stop()

    app = create_app(ContactsSettings(**service_env))
    async with serving(app):

        async def viewed_contacts() -> int:
            views = {"month": {"$exists": False}}  # the views, not their timeline's month pages
            return await mongo_db["contact_views"].count_documents(views)

        await eventually(viewed_contacts, expected=GOOD // 10, timeout=180)

        # Contacts' two consumers (the 360° view, the export's records) dead-letter each bad
        # record once each on the service's DLQ: the view's letters are the ones counted here.
        def of_the_view(records: list[Any]) -> list[Any]:
            return [r for r in records if _consumer(r).endswith("-view") or _consumer(r) == "view"]

        letters = of_the_view(
            await read_until(
                infra.kafka_bootstrap,
                f"{namespace}.rapport.contacts.dlq",
                lambda rs: len(of_the_view(rs)) >= BAD,
                timeout=120,
            )
        )

    reasons = Counter(dict(r.headers)["x-rapport-dlq-reason"].decode() for r in letters)
    assert reasons == Counter(reason for _, reason in bad)
    registry = app.state.runtime.registry
    applied = registry.get_sample_value(
        "rapport_events_consumed_total",
        {"consumer": "view", "event_type": InteractionLogged.event_type},  # bench: v2
    )
    assert applied == GOOD - GOOD // 10
    by_reason = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    print(
        f"\npoison: tried {GOOD + BAD} ({BAD} bad, {GOOD} good); dead-lettered {len(letters)}"
        f" ({by_reason}); processed {GOOD} (views of {GOOD // 10} contacts, {int(applied)}"
        " interactions)"
    )


def _consumer(record: Any) -> str:
    return bytes(dict(record.headers).get("x-rapport-dlq-consumer", b"")).decode()
