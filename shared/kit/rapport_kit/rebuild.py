"""Rebuild a read model from the event log into fresh collections, then switch them in.

The topics are read from the earliest offset up to their end at the start (the snapshot), into
``<collection>__rebuild_<tag>`` collections, through the same pure projections and the same
idempotent store the live consumer uses. ``switch`` renames the live collections away
(``__old_<tag>``) and the rebuilt ones in; a catch-up pass then folds what arrived after the
snapshot (events the live consumer already applied are recognised by the per-partition watermarks).

A switch renames several collections one by one (MongoDB has no multi-collection rename), so it is
journaled in ``rapport_rebuild_switches`` first: a switch a crash interrupted is found there and
completed by ``complete_interrupted_switch`` (every step is idempotent), and the window in which a
reader can see old and new collections side by side is the renames themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from rapport_kit.admin import end_offsets
from rapport_kit.consuming import ReceivedEvent
from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, ProjectedEvent, Projection
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_schemas import UndecodableEvent, decode

NAMESPACE_EXISTS = 48
SWITCHES = "rapport_rebuild_switches"
Progress = Callable[[int], None]


@dataclass(frozen=True)
class ReadModel:
    """What a service's consumer group folds: its name, the topics it reads, its projections."""

    consumer: str
    topics: tuple[str, ...]
    projections: tuple[Projection, ...]


class Renamed:
    """A projection writing to another collection."""

    def __init__(self, projection: Projection, collection: str) -> None:
        self.projection = projection
        self.collection = collection

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return self.projection.keys(received)

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        return self.projection.evolve(state, received, key, lookup)


def rebuilt_name(collection: str, tag: str) -> str:
    return f"{collection}__rebuild_{tag}"


class Rebuild:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        bootstrap: str,
        model: ReadModel,
        *,
        tag: str,
        security: Mapping[str, Any] | None = None,
        into_live: bool = False,
    ) -> None:
        """``into_live``: fold into the live collections (the catch-up after a switch), beside the
        live consumer; the per-partition watermarks skip what either of them folded already."""
        self.db = db
        self.bootstrap = bootstrap
        self.security = dict(security or {})
        self.model = model
        self.tag = tag
        projections: list[Projection] = list(model.projections)
        seen = SeenEvents(db, model.consumer)
        if not into_live:
            projections = [Renamed(p, rebuilt_name(p.collection, tag)) for p in projections]
            seen = SeenEvents(db, f"rebuild_{model.consumer}_{tag}")
        self._apply = ProjectionConsumer(seen, [ProjectionStore(db, p) for p in projections])

    async def snapshot(self, topic_names: Sequence[str]) -> dict[TopicPartition, int]:
        """The current end offset of every partition of ``topic_names``."""
        return await end_offsets(self.bootstrap, topic_names, security=self.security)

    async def fold(
        self, start: dict[TopicPartition, int], end: dict[TopicPartition, int], progress: Progress
    ) -> int:
        """Fold every event in [start, end) of each partition; return how many were read."""
        read = 0
        async for batch in _batches(self.bootstrap, start, end, self.security):
            events = [e for e in (_received(r) for r in batch) if e is not None]
            await self._apply(events)
            read += len(batch)
            progress(len(batch))
        return read

    async def switch(self) -> list[str]:
        """Swap the rebuilt collections in (journaled); return the names of the retired ones."""
        existing = await self.db.list_collection_names()
        plan = []
        for projection in self.model.projections:
            live, rebuilt = projection.collection, rebuilt_name(projection.collection, self.tag)
            if rebuilt not in existing:  # the projection wrote nothing: the new model is empty
                await self.db.create_collection(rebuilt)
            plan.append({"live": live, "rebuilt": rebuilt, "old": f"{live}__old_{self.tag}"})
        journal = self.db[SWITCHES]
        entry = {"tag": self.tag, "state": "switching", "plan": plan}
        await journal.replace_one({"_id": self.model.consumer}, entry, upsert=True)
        return await _complete_switch(self.db, self.model.consumer, plan)


async def interrupted_switch(db: AsyncDatabase[Document], consumer: str) -> str | None:
    """The tag of a switch of ``consumer``'s read model that a crash left half done, if any."""
    entry = await db[SWITCHES].find_one({"_id": consumer, "state": "switching"})
    return str(entry["tag"]) if entry else None


async def complete_interrupted_switch(db: AsyncDatabase[Document], consumer: str) -> list[str]:
    entry = await db[SWITCHES].find_one({"_id": consumer, "state": "switching"})
    return await _complete_switch(db, consumer, entry["plan"]) if entry else []


async def _complete_switch(
    db: AsyncDatabase[Document], consumer: str, plan: list[dict[str, str]]
) -> list[str]:
    retired = []
    for step in plan:
        names = await db.list_collection_names()
        if step["rebuilt"] not in names:
            continue  # this step was done before the interruption
        if step["live"] in names and step["old"] not in names:
            await _rename(db, step["live"], step["old"])
        await _rename(db, step["rebuilt"], step["live"])
        retired.append(step["old"])
    await db[SWITCHES].update_one({"_id": consumer}, {"$set": {"state": "switched"}})
    return retired


async def _rename(db: AsyncDatabase[Document], source: str, target: str) -> None:
    try:
        await db[source].rename(target)
    except OperationFailure as error:
        if error.code != NAMESPACE_EXISTS:
            raise
        # A live write recreated the target in between: its events are re-folded by catch-up.
        await db.drop_collection(target)
        await db[source].rename(target)


def _received(record: object) -> ReceivedEvent | None:
    try:
        event = decode(getattr(record, "value", b"") or b"")
    except UndecodableEvent:
        return None  # the live consumer dead-lettered it too
    return ReceivedEvent(event, record.topic, record.partition, record.offset, record)  # type: ignore[attr-defined]


async def _batches(
    bootstrap: str,
    start: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
    security: Mapping[str, Any],
) -> AsyncIterator[list[object]]:
    todo = {p: e for p, e in end.items() if e > start.get(p, 0)}
    if not todo:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=1000, **security
    )
    await consumer.start()
    try:
        consumer.assign(list(todo))
        for partition in todo:
            consumer.seek(partition, start.get(partition, 0))
        while todo:
            fetched = await consumer.getmany(*todo, timeout_ms=1000, max_records=1000)
            batch = []
            for partition, records in fetched.items():
                batch += [r for r in records if r.offset < todo[partition]]
                if records and records[-1].offset >= todo[partition] - 1:
                    del todo[partition]
            if batch:
                yield batch
    finally:
        await consumer.stop()
