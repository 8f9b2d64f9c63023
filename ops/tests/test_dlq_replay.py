"""Dead letters replayed after a fix are processed once, by the consumer that failed them only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest

from rapport_kit.admin import end_offsets
from rapport_kit.errors import PermanentError
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_ops.__main__ import run
from rapport_schemas import topics, wrap
from tests.support.events import interaction
from tests.support.kafka import eventually, produce, stays

pytestmark = pytest.mark.integration


class Counts:
    """Counts interactions per contact; refuses contact ``c-bad`` until ``fixed``."""

    def __init__(self, collection: str, *, fixed: bool) -> None:
        self.collection = collection
        self.fixed = fixed

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return (received.event.subject,)

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        if key == "c-bad" and not self.fixed:
            raise PermanentError("not_supported_yet", "contact c-bad")
        return {"count": (state or {"count": 0})["count"] + 1}


@asynccontextmanager
async def service(
    service_env: dict[str, object], name: str, *, fixed: bool
) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime.build(ServiceSettings(**service_env), service=name)  # type: ignore[arg-type]
    store = ProjectionStore(runtime.db, Counts(f"counts_{name}", fixed=fixed))
    consumer = ProjectionConsumer(SeenEvents(runtime.db, f"{name}-counts"), [store])
    runtime.consume(f"{name}-counts", consumer, base_topics=[topics.CONTACTS])
    async with runtime.run():
        yield runtime


async def count(mongo_db, collection: str, contact: str) -> int:  # type: ignore[no-untyped-def]
    document = await mongo_db[collection].find_one({"_id": contact})
    return int(document["count"]) if document else 0


async def test_replayed_dead_letters_are_processed_once(service_env, infra, namespace, mongo_db):
    source = f"{namespace}.{topics.CONTACTS}"
    bad = wrap(interaction("c-bad"), source="/test").model_dump_json().encode()
    good = wrap(interaction("c-good"), source="/test").model_dump_json().encode()
    async with (
        service(service_env, "metrics", fixed=False),
        service(service_env, "feedback", fixed=True),
    ):
        await produce(infra.kafka_bootstrap, source, bad, key=b"c-bad")
        await produce(infra.kafka_bootstrap, source, good, key=b"c-good")
        await eventually(lambda: count(mongo_db, "counts_metrics", "c-good"), expected=1)
        await eventually(lambda: count(mongo_db, "counts_feedback", "c-bad"), expected=1)

    args = [
        "--bootstrap",
        infra.kafka_bootstrap,
        "--topic-prefix",
        f"{namespace}.",
        "dlq-replay",
        "metrics",
    ]
    assert await run(args) == 0  # a dry run replays nothing
    assert await count(mongo_db, "counts_metrics", "c-bad") == 0

    async with (
        service(service_env, "metrics", fixed=True),
        service(service_env, "feedback", fixed=True),
    ):
        assert await run([*args, "--reason", "not_supported_yet", "--execute"]) == 0
        await eventually(lambda: count(mongo_db, "counts_metrics", "c-bad"), expected=1)
        assert await run([*args, "--execute"]) == 0  # replaying twice must not count twice
        await stays(lambda: count(mongo_db, "counts_metrics", "c-bad"), 1, for_seconds=5)
        assert await count(mongo_db, "counts_feedback", "c-bad") == 1


async def test_a_withheld_dead_letter_of_a_personal_topic_is_never_replayed(infra, namespace):
    personal = f"{namespace}.{topics.CONTACTS_PERSONAL}"
    headers = {
        "content-type": "application/octet-stream",
        "x-rapport-dlq-withheld": "personal",
        "x-rapport-dlq-reason": "handler_error",
        "x-rapport-dlq-detail": "KeyError",
        "x-rapport-dlq-consumer": "directory",
        "x-rapport-original-topic": personal,
        "x-rapport-original-partition": "0",
        "x-rapport-original-offset": "3",
        "x-rapport-failed-at": "2026-12-01T09:00:00+00:00",
    }
    dlq = f"{namespace}.{topics.dead_letter_topic('notifications')}"
    encoded = [(name, value.encode()) for name, value in headers.items()]
    await produce(infra.kafka_bootstrap, dlq, b"", headers=encoded)
    await produce(infra.kafka_bootstrap, personal, b"{}", key=b"marker")  # the topic exists
    args = ["--bootstrap", infra.kafka_bootstrap, "--topic-prefix", f"{namespace}."]
    assert await run([*args, "dlq-replay", "notifications", "--execute"]) == 0
    ends = await end_offsets(infra.kafka_bootstrap, [personal])
    assert sum(ends.values()) == 1  # only the marker: nothing was replayed onto the topic
