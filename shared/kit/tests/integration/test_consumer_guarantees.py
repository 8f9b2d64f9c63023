"""The kit's consumer pattern against the real broker and MongoDB-wire server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics, wrap
from rapport_schemas.common import Channel
from tests.support.events import interaction, received
from tests.support.kafka import eventually, produce, read_until

pytestmark = pytest.mark.integration


class InteractionsPerContact:
    collection = "interactions_per_contact"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return (received.event.subject,)

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        return {"count": (state or {"count": 0})["count"] + 1}


@asynccontextmanager
async def consuming(
    service_env: dict[str, object], service: str = "kit-test"
) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime.build(ServiceSettings(**service_env), service=service)  # type: ignore[arg-type]
    store = ProjectionStore(runtime.db, InteractionsPerContact())
    runtime.consume(
        "counts",
        ProjectionConsumer(SeenEvents(runtime.db, "counts"), [store]),
        base_topics=[topics.CONTACTS],
    )
    async with runtime.run():
        yield runtime


async def count_of(mongo_db, contact: str) -> int:  # type: ignore[no-untyped-def]
    document = await mongo_db[InteractionsPerContact.collection].find_one({"_id": contact})
    return int(document["count"]) if document else 0


async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_next_good_one_applies(
    service_env, infra, namespace, mongo_db
) -> None:
    source = f"{namespace}.{topics.CONTACTS}"
    good = wrap(interaction("c-good"), source="/test").model_dump_json().encode()
    async with consuming(service_env):
        await produce(
            infra.kafka_bootstrap, source, b'{"specversion": "1.0", "id": ', key=b"c-good"
        )
        await produce(infra.kafka_bootstrap, source, good, key=b"c-good")
        await eventually(lambda: count_of(mongo_db, "c-good"), expected=1)

    letters = await read_until(
        infra.kafka_bootstrap, f"{namespace}.rapport.kit-test.dlq", lambda rs: len(rs) >= 1
    )
    assert len(letters) == 1
    headers = {name: value.decode() for name, value in letters[0].headers}
    assert headers["x-rapport-dlq-reason"] == "invalid_json"
    assert headers["x-rapport-original-topic"] == source
    assert headers["x-rapport-original-offset"] == "0"
    assert letters[0].value == b'{"specversion": "1.0", "id": '


async def test_a_redelivered_or_republished_event_changes_nothing(
    service_env, infra, namespace, mongo_db
) -> None:
    source = f"{namespace}.{topics.CONTACTS}"
    first = wrap(interaction("c-1", channel=Channel.PHONE), source="/test")
    raw = first.model_dump_json().encode()
    async with consuming(service_env):
        await produce(infra.kafka_bootstrap, source, raw, key=b"c-1")
        await eventually(lambda: count_of(mongo_db, "c-1"), expected=1)
        # The same event again (an outbox relay that crashed after publishing), then a new one.
        await produce(infra.kafka_bootstrap, source, raw, key=b"c-1")
        second = wrap(interaction("c-1"), source="/test").model_dump_json().encode()
        await produce(infra.kafka_bootstrap, source, second, key=b"c-1")
        await eventually(lambda: count_of(mongo_db, "c-1"), expected=2, timeout=10)

    # Another consumer group reading the same partition from offset 0 is a full redelivery
    # of the three records into the same read model: it must change nothing.
    async with consuming(service_env, service="kit-test-replay") as runtime:
        await eventually(lambda: consumed_count(runtime), expected=3)
        assert await count_of(mongo_db, "c-1") == 2


async def consumed_count(runtime: ServiceRuntime) -> int:
    value = runtime.registry.get_sample_value(
        "rapport_events_consumed_total",
        {"consumer": "counts", "event_type": "rapport.contacts.interaction_logged.v1"},
    )
    return int(value or 0)


class StaleOnce(ProjectionStore):
    """Reads an outdated version once, as a consumer racing another one after a rebalance would."""

    stale = True

    async def _load(self, keys: set[str]) -> dict[str, Document]:
        if self.stale:
            self.stale = False
            return {}
        return await super()._load(keys)


async def test_a_write_based_on_a_stale_read_is_refolded_not_lost_or_doubled(mongo_db) -> None:
    first = received(interaction("c-race"), offset=0).projected
    await ProjectionStore(mongo_db, InteractionsPerContact()).apply([first])
    racing = StaleOnce(mongo_db, InteractionsPerContact())
    await racing.apply([first, received(interaction("c-race"), offset=1).projected])
    assert await count_of(mongo_db, "c-race") == 2
