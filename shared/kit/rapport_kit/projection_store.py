"""The MongoDB side of projections: dedupe by event id, load, fold, conditional bulk write."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pymongo import InsertOne, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.errors import TransientError
from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.projection import VERSION, ProjectedEvent, Projection, fold

log = logging.getLogger(__name__)

# Set by the operator CLI when it republishes a dead letter to its original topic.
REPLAYED_TOPIC = "x-rapport-replayed-topic"
REPLAYED_PARTITION = "x-rapport-replayed-partition"
REPLAYED_OFFSET = "x-rapport-replayed-offset"
# The consumer (BatchConsumer name = SeenEvents name) whose dead letter it was: only that consumer
# takes the replay over; every other consumer group of the topic already applied the event.
REPLAYED_FOR = "x-rapport-replayed-for"
MAX_CONFLICT_ROUNDS = 5


def replayed_from(received: ReceivedEvent, consumer: str) -> tuple[str, int, int] | None:
    """The original coordinates of an operator's replay of ``consumer``'s dead letter."""
    headers = {name: value.decode("utf-8", "replace") for name, value in received.record.headers}
    if headers.get(REPLAYED_FOR) != consumer:
        return None
    try:
        return (
            headers[REPLAYED_TOPIC],
            int(headers[REPLAYED_PARTITION]),
            int(headers[REPLAYED_OFFSET]),
        )
    except (KeyError, ValueError):
        return None


class SeenEvents:
    """First coordinates of every event id a consumer group has seen."""

    def __init__(self, db: AsyncDatabase[Document], consumer: str) -> None:
        self.consumer = consumer
        self.collection = db[f"_seen_{consumer}"]

    async def first_sightings(self, events: Sequence[ReceivedEvent]) -> list[ReceivedEvent]:
        """The events not already seen at *other* coordinates (true republished duplicates)."""
        unique: dict[str, ReceivedEvent] = {}
        for received in events:
            unique.setdefault(received.event.id, received)
        now = datetime.now(UTC)
        ids = list(unique)
        inserts = [
            InsertOne({"_id": r.event.id, "t": r.topic, "p": r.partition, "o": r.offset, "at": now})
            for r in unique.values()
        ]
        already = await self._insert_reporting_existing(inserts, ids)
        if already:
            async for seen in self.collection.find({"_id": {"$in": sorted(already)}}):
                if not await self._is_first_sighting(seen, unique[seen["_id"]]):
                    del unique[seen["_id"]]
        return [r for r in events if unique.get(r.event.id) is r]

    async def forget_before(self, moment: datetime) -> int:
        """Drop sightings older than ``moment``: a republished duplicate arrives within minutes
        (an outbox sweep), so the ids need not be kept for ever."""
        return (await self.collection.delete_many({"at": {"$lt": moment}})).deleted_count

    async def _is_first_sighting(self, seen: Document, received: ReceivedEvent) -> bool:
        """Same coordinates: a redelivery (watermarks decide). Others: a duplicate, unless it is
        an operator's replay of the dead letter that was first seen there, taken over once."""
        stored = (seen["t"], seen["p"], seen["o"])
        if stored == (received.topic, received.partition, received.offset):
            return True
        if replayed_from(received, self.consumer) != stored:
            return False
        moved = await self.collection.update_one(
            {"_id": seen["_id"], "t": stored[0], "p": stored[1], "o": stored[2]},
            {"$set": {"t": received.topic, "p": received.partition, "o": received.offset}},
        )
        return moved.modified_count == 1

    async def _insert_reporting_existing(
        self, inserts: list[InsertOne[Document]], ids: list[str]
    ) -> set[str]:
        if not inserts:
            return set()
        try:
            await self.collection.bulk_write(inserts, ordered=False)
        except BulkWriteError as error:
            duplicates = [e for e in error.details["writeErrors"] if e["code"] == DUPLICATE_KEY]
            if len(duplicates) != len(error.details["writeErrors"]):
                raise
            return {ids[e["index"]] for e in duplicates}
        return set()


@dataclass
class Applied:
    """What a batch did to one collection: every touched document as it now stands (so a caller
    that needs them next does not read them again) and the events that were already folded into
    every document they route to (redelivered, skipped)."""

    documents: dict[str, Document] = field(default_factory=dict)
    already_applied: set[str] = field(default_factory=set)


class ProjectionStore:
    """Applies a batch of events to one projection's collection."""

    def __init__(self, db: AsyncDatabase[Document], projection: Projection) -> None:
        self.projection = projection
        self.collection = db[projection.collection]

    async def apply(self, events: Sequence[ProjectedEvent]) -> Applied:
        pending = list(events)
        applied = Applied()
        for conflict_round in range(MAX_CONFLICT_ROUNDS):
            keys = {key for received in pending for key in self.projection.keys(received)}
            if not keys:
                return applied
            loaded = await self._load(keys)
            result = fold(self.projection, loaded, pending)
            if conflict_round == 0:  # later skips are a racing writer's work, not redeliveries
                applied.already_applied = result.already_applied
            conflicted = await self._write(result.changed, result.read_versions)
            applied.documents |= {k: d for k, d in result.current.items() if k not in conflicted}
            if not conflicted:
                return applied
            pending = [r for r in pending if conflicted & set(self.projection.keys(r))]
        raise TransientError(f"{self.projection.collection}: write conflicts persisted")

    async def _load(self, keys: set[str]) -> dict[str, Document]:
        return {d["_id"]: d async for d in self.collection.find({"_id": {"$in": sorted(keys)}})}

    async def _write(self, changed: dict[str, Document], read_versions: dict[str, int]) -> set[str]:
        """Write each document only if nobody changed it since we read it; return the losers."""
        if not changed:
            return set()
        operations = [
            ReplaceOne({"_id": key, VERSION: read_versions.get(key, 0)}, document, upsert=True)
            for key, document in changed.items()
        ]
        keys = list(changed)
        try:
            await self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as error:
            errors = error.details["writeErrors"]
            if any(e["code"] != DUPLICATE_KEY for e in errors):
                raise
            log.info("optimistic write conflict", extra={"fields": {"documents": len(errors)}})
            return {keys[e["index"]] for e in errors}
        # A failed upsert is a BulkWriteError with each statement's index on the FerretDB we ship
        # too (patch 0005, tested in tests/infra/test_ferretdb_patches.py): no KeyError fallback.
        return set()


class ProjectionConsumer:
    """A consumer group's apply step: drop republished duplicates, then fold into each store."""

    def __init__(
        self,
        seen: SeenEvents,
        stores: Sequence[ProjectionStore],
        count_duplicates: Callable[[int], None] | None = None,
    ) -> None:
        self.seen = seen
        self.stores = stores
        self.count_duplicates = count_duplicates

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        fresh = [r.projected for r in await self.seen.first_sightings(batch)]
        applied = [(store, await store.apply(fresh)) for store in self.stores]
        if self.count_duplicates is not None:
            self.count_duplicates(len(batch) - len(fresh) + _redelivered(fresh, applied))


def _redelivered(
    fresh: Sequence[ProjectedEvent], applied: Sequence[tuple[ProjectionStore, Applied]]
) -> int:
    """Events that every store routing them had already applied: they changed nothing."""
    count = 0
    for received in fresh:
        routed = [a for store, a in applied if store.projection.keys(received)]
        count += bool(routed) and all(received.event.id in a.already_applied for a in routed)
    return count


SIGHTINGS_PRUNE_SECONDS = 3600.0


async def forget_old_sightings(
    db: AsyncDatabase[Document], consumers: Sequence[str], *, retention: timedelta
) -> None:
    """One pruning round (``ServiceRuntime`` runs it every ``SIGHTINGS_PRUNE_SECONDS``): each
    consumer's seen event ids older than ``retention``; one consumer failing spares the others."""
    cutoff = datetime.now(UTC) - retention
    for consumer in consumers:
        try:
            forgotten = await SeenEvents(db, consumer).forget_before(cutoff)
        except Exception:
            log.exception("pruning seen events failed; will retry")
            continue
        if forgotten:
            fields = {"consumer": consumer, "forgotten": forgotten}
            log.info("seen events pruned", extra={"fields": fields})
