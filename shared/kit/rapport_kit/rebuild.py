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

Two kinds of read model: a ``ReadModel`` is a list of pure projections, each into its own
collection; a ``PipelineReadModel`` is a service's own batch step (several stores in order,
collections named at runtime), built by the service over collections named with a suffix
(``rebuild_suffix``), with the collections to switch named or matched by prefix, and a hook run
once they are switched (e.g. republishing what a consumer of the service's output must see).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from rapport_kit.admin import end_offsets
from rapport_kit.consuming import ApplyBatch, ReceivedEvent, received_event
from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, ProjectedEvent, Projection
from rapport_kit.projection_store import ProjectionConsumer, ProjectionStore, SeenEvents
from rapport_kit.retry import RetryPolicy
from rapport_schemas import UndecodableEvent

NAMESPACE_EXISTS = 48
SWITCHES = "rapport_rebuild_switches"
Progress = Callable[[int], None]
AfterSwitch = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class ReadModel:
    """What a service's consumer group folds: its name, the topics it reads, its projections."""

    consumer: str
    topics: tuple[str, ...]
    projections: tuple[Projection, ...]


@dataclass(frozen=True)
class PipelineReadModel:
    """A read model folded by the service's own batch step.

    ``pipeline(db, suffix)`` yields that step over collections whose names end in ``suffix`` ("":
    the live ones, publishing as the live consumer does; a rebuild suffix: silently);
    ``collections`` and every collection starting with one of ``prefixes`` are what a switch swaps;
    ``after_switch(db)`` runs once they are swapped, before the switch is journaled as done.
    """

    consumer: str
    topics: tuple[str, ...]
    pipeline: Callable[[AsyncDatabase[Document], str], AbstractAsyncContextManager[ApplyBatch]]
    collections: tuple[str, ...]
    prefixes: tuple[str, ...] = ()
    after_switch: Callable[[AsyncDatabase[Document]], Awaitable[None]] | None = None


AnyReadModel = ReadModel | PipelineReadModel


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


def rebuild_suffix(tag: str) -> str:
    return f"__rebuild_{tag}"


def rebuilt_name(collection: str, tag: str) -> str:
    return f"{collection}{rebuild_suffix(tag)}"


def seen_collection(consumer: str) -> str:
    """Where ``SeenEvents(db, consumer)`` keeps its sightings."""
    return f"_seen_{consumer}"


class Rebuild:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        bootstrap: str,
        model: AnyReadModel,
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
        self.into_live = into_live

    def _step(self) -> AbstractAsyncContextManager[ApplyBatch]:
        suffix = "" if self.into_live else rebuild_suffix(self.tag)
        if isinstance(self.model, PipelineReadModel):
            return self.model.pipeline(self.db, suffix)
        projections: list[Projection] = list(self.model.projections)
        seen = SeenEvents(self.db, self.model.consumer)
        if not self.into_live:
            projections = [Renamed(p, p.collection + suffix) for p in projections]
            seen = SeenEvents(self.db, f"rebuild_{self.model.consumer}_{self.tag}")
        stores = [ProjectionStore(self.db, p) for p in projections]
        return contextlib.nullcontext(ProjectionConsumer(seen, stores))

    async def snapshot(self, topic_names: Sequence[str]) -> dict[TopicPartition, int]:
        """The current end offset of every partition of ``topic_names``."""
        return await end_offsets(self.bootstrap, topic_names, security=self.security)

    async def fold(
        self, start: dict[TopicPartition, int], end: dict[TopicPartition, int], progress: Progress
    ) -> int:
        """Fold every event in [start, end) of each partition; return how many were read."""
        read = 0
        async with self._step() as apply:
            async for batch in _batches(self.bootstrap, start, end, self.security):
                events = [e for e in (_received(r) for r in batch) if e is not None]
                await _applied(apply, events)
                read += len(batch)
                progress(len(batch))
        return read

    def live_collections(self, existing: Sequence[str]) -> list[str]:
        """The collections a switch swaps, by their live names."""
        if isinstance(self.model, ReadModel):
            return [projection.collection for projection in self.model.projections]
        suffix, prefixes = rebuild_suffix(self.tag), self.model.prefixes
        matched = {
            name.removesuffix(suffix)
            for name in existing
            if name.startswith(prefixes) and "__old_" not in name
            if "__rebuild_" not in name or name.endswith(suffix)
        }
        return sorted(set(self.model.collections) | matched)

    async def switch(self) -> list[str]:
        """Swap the rebuilt collections in (journaled); return the names of the retired ones."""
        existing = await self.db.list_collection_names()
        plan = []
        for live in self.live_collections(existing):
            rebuilt = rebuilt_name(live, self.tag)
            if rebuilt not in existing:  # the projection wrote nothing: the new model is empty
                await self.db.create_collection(rebuilt)
            plan.append({"live": live, "rebuilt": rebuilt, "old": f"{live}__old_{self.tag}"})
        journal = self.db[SWITCHES]
        entry = {"tag": self.tag, "state": "switching", "plan": plan}
        await journal.replace_one({"_id": self.model.consumer}, entry, upsert=True)
        return await _complete_switch(self.db, self.model.consumer, plan, self._after_switch)

    async def complete_interrupted_switch(self) -> list[str]:
        """Finish a switch of this read model a crash interrupted (nothing if there is none)."""
        return await complete_interrupted_switch(self.db, self.model.consumer, self._after_switch)

    async def _after_switch(self) -> None:
        if isinstance(self.model, PipelineReadModel) and self.model.after_switch:
            await self.model.after_switch(self.db)


async def interrupted_switch(db: AsyncDatabase[Document], consumer: str) -> str | None:
    """The tag of a switch of ``consumer``'s read model that a crash left half done, if any."""
    entry = await db[SWITCHES].find_one({"_id": consumer, "state": "switching"})
    return str(entry["tag"]) if entry else None


async def complete_interrupted_switch(
    db: AsyncDatabase[Document], consumer: str, after: AfterSwitch | None = None
) -> list[str]:
    entry = await db[SWITCHES].find_one({"_id": consumer, "state": "switching"})
    return await _complete_switch(db, consumer, entry["plan"], after) if entry else []


async def _complete_switch(
    db: AsyncDatabase[Document],
    consumer: str,
    plan: list[dict[str, str]],
    after: AfterSwitch | None = None,
) -> list[str]:
    """The renames, then ``after``; journaled as done only then, so a crash in either is
    completed by a rerun (renames already done are skipped, ``after`` must be idempotent)."""
    retired = []
    for step in plan:
        names = await db.list_collection_names()
        if step["rebuilt"] not in names:
            continue  # this step was done before the interruption
        if step["live"] in names and step["old"] not in names:
            await _rename(db, step["live"], step["old"])
        await _rename(db, step["rebuilt"], step["live"])
        retired.append(step["old"])
    if after is not None:
        await after()
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


def _received(record: ConsumerRecord[bytes, bytes]) -> ReceivedEvent | None:
    """As the live consumer reads it (``consuming.received_event``), or None where it applied
    nothing (a dead letter, a v1 copy, a roll tombstone)."""
    try:
        received = received_event(record)
    except UndecodableEvent:
        return None  # the live consumer dead-lettered it too
    return received if isinstance(received, ReceivedEvent) else None


async def _batches(
    bootstrap: str,
    start: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
    security: Mapping[str, Any],
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    todo = {p: e for p, e in end.items() if e > start.get(p, 0)}
    if not todo:
        return
    # "earliest": a start below the partition's first offset (retention deleted the oldest
    # segments) reads from the first record there is instead of jumping to the end.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_poll_records=1000,
        auto_offset_reset="earliest",
        **security,
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
            # Done by position, not by seeing the record at end - 1: compaction may have removed
            # it (a compacted topic's offsets have gaps), and a transaction marker has no record.
            for partition in list(todo):
                if await consumer.position(partition) >= todo[partition]:
                    del todo[partition]
            if batch:
                yield batch
    finally:
        await consumer.stop()


BUSY = RetryPolicy(attempts=8, first_delay=0.2, max_delay=5.0)


async def _applied(apply: ApplyBatch, events: list[ReceivedEvent]) -> None:
    """A batch, again while FerretDB's SQLite answers ``SQLITE_BUSY`` (another writer holds the
    database, e.g. the live consumer): safe, every read model is idempotent by watermarks."""
    for attempt in range(BUSY.attempts):
        try:
            await apply(events)
            return
        except OperationFailure as error:
            if "SQLITE_BUSY" not in str(error) or attempt == BUSY.attempts - 1:
                raise
            await asyncio.sleep(BUSY.delay(attempt))
