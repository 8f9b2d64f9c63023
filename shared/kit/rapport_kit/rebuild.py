"""Rebuild a read model from the event log into fresh collections, then switch them in.

The topics are read from the earliest offset up to their end at the start (the snapshot), into
``<collection>__rebuild_<tag>`` collections, through the same pure projections and the same
idempotent store the live consumer uses. ``switch`` renames the live collections away
(``__old_<tag>``) and the rebuilt ones in; a catch-up pass then folds what arrived after the
snapshot (events the live consumer already applied are recognised by the per-partition watermarks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from rapport_kit.admin import end_offsets
from rapport_kit.consuming import ReceivedEvent
from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, Projection
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_schemas import UndecodableEvent, decode

NAMESPACE_EXISTS = 48
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

    def keys(self, received: ReceivedEvent) -> Sequence[str]:
        return self.projection.keys(received)

    def evolve(
        self, state: Document | None, received: ReceivedEvent, key: str, lookup: Lookup
    ) -> Document:
        return self.projection.evolve(state, received, key, lookup)


def rebuilt_name(collection: str, tag: str) -> str:
    return f"{collection}__rebuild_{tag}"


class Rebuild:
    def __init__(
        self, db: AsyncDatabase[Document], bootstrap: str, model: ReadModel, *, tag: str
    ) -> None:
        self.db = db
        self.bootstrap = bootstrap
        self.model = model
        self.tag = tag
        projections = [Renamed(p, rebuilt_name(p.collection, tag)) for p in model.projections]
        self._apply = ProjectionConsumer(
            SeenEvents(db, f"rebuild_{model.consumer}_{tag}"),
            [ProjectionStore(db, p) for p in projections],
        )

    async def snapshot(self, topic_names: Sequence[str]) -> dict[TopicPartition, int]:
        """The current end offset of every partition of ``topic_names``."""
        return await end_offsets(self.bootstrap, topic_names)

    async def fold(
        self, start: dict[TopicPartition, int], end: dict[TopicPartition, int], progress: Progress
    ) -> int:
        """Fold every event in [start, end) of each partition; return how many were read."""
        read = 0
        async for batch in _batches(self.bootstrap, start, end):
            events = [e for e in (_received(r) for r in batch) if e is not None]
            await self._apply(events)
            read += len(batch)
            progress(len(batch))
        return read

    async def switch(self) -> list[str]:
        """Swap the rebuilt collections in; return the names of the retired ones."""
        retired = []
        for projection in self.model.projections:
            live, old = projection.collection, f"{projection.collection}__old_{self.tag}"
            if live in await self.db.list_collection_names():
                await self._rename(live, old)
                retired.append(old)
            await self._rename(rebuilt_name(live, self.tag), live)
        return retired

    async def _rename(self, source: str, target: str) -> None:
        try:
            await self.db[source].rename(target)
        except OperationFailure as error:
            if error.code != NAMESPACE_EXISTS:
                raise
            # A live write recreated the target in between: its events are re-folded by catch-up.
            await self.db.drop_collection(target)
            await self.db[source].rename(target)


def _received(record: object) -> ReceivedEvent | None:
    try:
        event = decode(getattr(record, "value", b"") or b"")
    except UndecodableEvent:
        return None  # the live consumer dead-lettered it too
    return ReceivedEvent(event, record.topic, record.partition, record.offset, record)  # type: ignore[attr-defined]


async def _batches(
    bootstrap: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> AsyncIterator[list[object]]:
    todo = {p: e for p, e in end.items() if e > start.get(p, 0)}
    if not todo:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=1000
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
