"""Transactional outbox kept inside the aggregate's own document.

A state change and the events describing it are one atomic single-document update (no
multi-document transactions on FerretDB); the same write counts them (``outbox_sequence``), which
numbers each event of the document: its CloudEvents ``sequence``. The writer publishes right after
its write for low latency; a sweeper publishes whatever a crashed writer left behind. Either
publishes only under a lease on the document (``OutboxPublisher``), so an entry whose first publish
is in flight is never sent again beside it, and a document's events reach Kafka in their order.
An entry is sent twice only when a send fails or outlives its lease after reaching Kafka; it then
carries the same ``id`` and ``sequence``. Entries are removed only after Kafka acknowledged them
(``acks=all``).

What an outbox holds (``OutboxItem``), each sent in the order it was appended, under the same
lease, so a document's events, copies and tombstones reach Kafka in the order they were written:

- a ``CloudEvent``: numbered (its ``sequence``) and sent to its data's topic, keyed by its
  ``partitionkey``;
- a v1 copy, a ``CloudEvent`` wrapped with ``copy_of`` (the ``rapportcopyof`` extension): not
  numbered, it carries the ``sequence`` of the event it copies (append both in the same write,
  the original first);
- an ``OutboxTombstone(topic, key)``: a null value for ``key`` on ``topic`` (a personal topic,
  unprefixed), not numbered: the erasure of that key, as durable as the write that appends it.
  E.g. ``repository.write(filter, update, [wrap(erased, ...), OutboxTombstone(
  topics.CONTACTS_PERSONAL, contact_id)], replace_outbox=True)``;
- ``AfterAcknowledged(event)``: the event, sent only once every entry before it is acknowledged
  by Kafka (``acks=all``), e.g. ``ErasureCompleted`` after its tombstones.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.broker import Acknowledgement, acknowledged, enqueue
from rapport_kit.clock import Clock, utc_now
from rapport_kit.mongo import Document
from rapport_kit.observability import OutboxGauges
from rapport_kit.pending_outboxes import ANNOUNCED, PendingOutboxes
from rapport_kit.settings import ServiceSettings
from rapport_kit.trace_context import trace_carrier
from rapport_schemas import CloudEvent
from rapport_schemas.envelope import sequence_text

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PENDING = "outbox_pending"
TOUCHED = "outbox_touched_at"
# Wall-clock time an entry was serialised, i.e. written (entries written before it existed are
# dated by their document's ``outbox_touched_at``): the outbox gauges' "oldest entry".
WRITTEN = "written_at"
# How many entries were ever appended to the document's outbox: numbers its events (``sequence``).
SEQUENCE = "outbox_sequence"
# How many entries of any kind (events, copies, tombstones) were ever appended: a release ends a
# document's pending state only if this did not move since its claim (tombstones and copies do
# not move ``SEQUENCE``, so a write appending only those would otherwise be taken for none).
APPENDED = "outbox_appended"
# The publisher holding the document's outbox (a random token) and until when (outbox clock).
CLAIM = "outbox_claim"
LEASE_UNTIL = "outbox_lease_until"
# Longer than one send can take (the producer gives up on a request after 40 s), so a lease
# expires only under a publisher that died.
LEASE = timedelta(seconds=60)
SWEEP_PAGE = 500
# How often the index of pending outboxes is swept for those nobody retries (a process that
# crashed after its write, a publisher that died holding a lease): the bound on their delay.
SAFETY_SWEEP_INTERVAL = timedelta(minutes=1)


# An entry of a v1 copy names the id of the event it copies (and takes its sequence).
COPY_OF = "copy_of"


@dataclass(frozen=True)
class OutboxTombstone:
    """Erase ``key`` on ``topic`` (unprefixed, e.g. ``topics.CONTACTS_PERSONAL``): a record with
    that key and a null value, sent through the outbox like an event."""

    topic: str
    key: str


@dataclass(frozen=True)
class AfterAcknowledged:
    """``event``, sent only once Kafka acknowledged every entry appended before it: a signal
    that what came before is durable (``ErasureCompleted`` after the tombstones it reports)."""

    event: CloudEvent[Any]


OutboxItem = CloudEvent[Any] | OutboxTombstone | AfterAcknowledged
AFTER_ACKNOWLEDGED = "after_acknowledged"


def outbox_entries(items: Sequence[OutboxItem], settings: ServiceSettings) -> list[Document]:
    """Serialised entries ready to ``$push``, each with the trace context it continues: its
    trigger's (for events caused by a consumed event) or else the caller's (e.g. an HTTP call)."""
    return [_entry(item, settings) for item in items]


def _entry(item: OutboxItem, settings: ServiceSettings) -> Document:
    if isinstance(item, AfterAcknowledged):
        return _entry(item.event, settings) | {AFTER_ACKNOWLEDGED: True}
    if isinstance(item, OutboxTombstone):
        return {
            "id": f"tombstone:{uuid.uuid4().hex}",
            "topic": settings.topic(item.topic),
            "key": item.key,
            "value": None,
            "trace": trace_carrier(None),
            WRITTEN: utc_now(),
        }
    entry = {
        "id": item.id,
        "topic": settings.topic(type(item.data).topic),
        "key": item.partitionkey,
        "value": item.model_dump_json(),
        "trace": trace_carrier(getattr(item.data, "trigger_event_id", None)),
        WRITTEN: utc_now(),
    }
    return entry | ({COPY_OF: item.rapportcopyof} if item.rapportcopyof else {})


def _numbered(entry: Document) -> bool:
    """Whether ``entry`` takes the next number of its document (an event, not a copy or a
    tombstone)."""
    return entry["value"] is not None and not entry.get(COPY_OF)


class OutboxPublisher:
    """Publishes outboxes under a lease, then removes what Kafka acknowledged.

    A publish first claims the document (a conditional update: no live lease on it), so the
    writer's immediate publish, a concurrent writer's and the sweeper's cannot send the same
    entries at once; the claim returns the outbox as stored, which is what is sent. The lease ends
    with the removal of the sent entries; a publisher that dies holding it is replaced once it
    expires (``lease``, longer than a send can take), so nothing is lost. Entries appended while
    the lease is held are sent by its holder before it lets go (the appender's own claim failed).

    Leases run on ``clock``, real time by default, not on the stores' clocks: a lease measures how
    long a send may take, and a test moving domain time forward must not expire one in flight.
    """

    def __init__(
        self, broker: KafkaBroker, *, lease: timedelta = LEASE, clock: Clock = utc_now
    ) -> None:
        self.broker = broker
        self.lease = lease
        self.clock = clock

    async def publish(self, collection: AsyncCollection[Document], document: Document) -> int:
        return await self.publish_many(collection, [document])

    async def publish_many(
        self, collection: AsyncCollection[Document], documents: Sequence[Document]
    ) -> int:
        """Publishes the outboxes of ``documents`` (only their ``_id`` is read) that no other
        publisher holds. Every claimed entry is queued on the producer in order (a document's
        entries in their own order, so per-key order holds), all acknowledgements are awaited
        together (an ``AfterAcknowledged`` entry waits for those before it), then the sent
        entries are removed in one bulk write. A failure gives the
        claims back and removes nothing: the sweeper publishes again."""
        ids = sorted({d["_id"] for d in documents})
        published = 0
        while ids:
            claimed = await self.claim(collection, ids)
            if not claimed:
                return published
            try:
                await self._send(collection.name, claimed)
            except BaseException:
                await self._give_back(collection, claimed)
                raise
            published += sum(len(d[OUTBOX]) for d in claimed)
            ids = await self._release(collection, claimed)
        return published

    async def _send(self, name: str, claimed: Sequence[Document]) -> None:
        """Queue every entry in order; an ``AfterAcknowledged`` one only once everything queued
        before it is acknowledged."""
        pending: list[Acknowledgement] = []
        for document in claimed:
            for entry in _sequenced(document, stream=f"{name}/{document['_id']}"):
                if entry.get(AFTER_ACKNOWLEDGED):
                    await acknowledged(pending)
                    pending = []
                pending.append(await self._enqueue(entry))
        await acknowledged(pending)

    async def claim(self, collection: AsyncCollection[Document], ids: list[Any]) -> list[Document]:
        """Takes the lease on those of ``ids`` that are pending and not held by a live lease;
        returns them as claimed (outbox, entry count, token)."""
        now, token = self.clock(), uuid.uuid4().hex
        free = {PENDING: True, "$or": [{CLAIM: None}, {LEASE_UNTIL: {"$lt": now}}]}
        lease = {"$set": {CLAIM: token, LEASE_UNTIL: now + self.lease}}
        fields = {OUTBOX: 1, SEQUENCE: 1, APPENDED: 1, CLAIM: 1, ANNOUNCED: 1}
        if len(ids) == 1:  # the writer's own publish: one round trip (FerretDB: no projection)
            document = await collection.find_one_and_update(
                {"_id": ids[0], **free}, lease, return_document=ReturnDocument.AFTER
            )
            return [document] if document is not None else []
        await collection.update_many({"_id": {"$in": ids}, **free}, lease)
        return await collection.find({"_id": {"$in": ids}, CLAIM: token}, fields).to_list()

    async def _release(
        self, collection: AsyncCollection[Document], claimed: Sequence[Document]
    ) -> list[Any]:
        """Removes the sent entries and ends the leases; returns the documents that were
        appended to meanwhile (still pending, to be claimed again)."""
        # Nothing appended since the claim (the count of entries ever appended and the token of
        # the latest announcement are unchanged): the outbox is empty after the removal, so the
        # document stops being pending, and its entry in the index can go.
        done = await collection.bulk_write([_finished(d) for d in claimed], ordered=False)
        if done.matched_count == len(claimed):
            await _unindexed(collection, claimed)
            return []
        # Which of them were released is not told apart from a lease taken over: their entries
        # are left to the safety sweep (an entry too many is harmless).
        ids, token = [d["_id"] for d in claimed], claimed[0][CLAIM]
        left = await collection.find({"_id": {"$in": ids}, CLAIM: token}, {"_id": 1}).to_list()
        # Not found: a lease that expired under a slow send was taken over; its holder goes on.
        appended = {d["_id"] for d in left}
        if appended:
            removals = [_removal(d) for d in claimed if d["_id"] in appended]
            await collection.bulk_write(removals, ordered=False)
        return sorted(appended)

    async def _give_back(
        self, collection: AsyncCollection[Document], claimed: Sequence[Document]
    ) -> None:
        """After a failed send: the next sweep may try at once instead of after the lease."""
        try:
            await collection.bulk_write(
                [UpdateOne(_held(d), {"$set": {CLAIM: None}}) for d in claimed], ordered=False
            )
        except Exception:
            log.warning("outbox claims not given back; they expire", exc_info=True)

    async def _enqueue(self, entry: Document) -> Acknowledgement:
        token = context.attach(propagate.extract(entry.get("trace") or {}))
        try:
            value = entry["value"].encode() if entry["value"] is not None else None
            topic, key = entry["topic"], entry["key"].encode()
            return await enqueue(self.broker, value, topic=topic, key=key)
        finally:
            context.detach(token)


async def _unindexed(collection: AsyncCollection[Document], released: Sequence[Document]) -> None:
    try:
        await PendingOutboxes.beside(collection).published(released)
    except Exception:  # published all the same; the safety sweep deletes the entries
        log.warning("published outboxes left in their index", exc_info=True)


def _held(document: Document) -> Document:
    return {"_id": document["_id"], CLAIM: document[CLAIM]}


def _finished(document: Document) -> UpdateOne:
    # Exact-value $pullAll: FerretDB 1.24 ignores $pull with a condition on a field.
    return UpdateOne(
        {
            **_held(document),
            SEQUENCE: document.get(SEQUENCE),
            APPENDED: document.get(APPENDED),
            ANNOUNCED: document.get(ANNOUNCED),
        },
        {"$pullAll": {OUTBOX: document[OUTBOX]}, "$set": {CLAIM: None, PENDING: False}},
    )


def _removal(document: Document) -> UpdateOne:
    return UpdateOne(
        _held(document), {"$pullAll": {OUTBOX: document[OUTBOX]}, "$set": {CLAIM: None}}
    )


def _sequenced(document: Document, *, stream: str) -> list[Document]:
    """The claimed entries with their ``sequence`` (and the ``sequencestream`` it counts in: the
    document) in the value. The document counts every numbered entry (an event: not a copy, not a
    tombstone) ever appended to its outbox (``outbox_sequence``, moved in the write that appends
    them) and entries leave only from the front (a lease sends and removes the whole outbox it
    claimed), so the ``i``-th numbered entry of ``n`` is the document's event number
    ``count - n + i``: the number was fixed by that write, and a repeated publish carries the
    same one. A copy carries its original's; a tombstone has no value to carry one."""
    entries = document[OUTBOX]
    numbered = sum(_numbered(entry) for entry in entries)
    # Documents written before the counter existed count their pending entries from 1.
    number = max(int(document.get(SEQUENCE) or 0), numbered) - numbered
    sequences: dict[str, str] = {}
    sequenced = []
    for entry in entries:
        if entry["value"] is None:  # a tombstone: no event, no sequence
            sequenced.append(entry)
            continue
        if _numbered(entry):
            number += 1
            sequences[entry["id"]] = sequence_text(number)
        # A copy takes its original's number (appended before it, in the same write).
        sequence = sequences.get(entry.get(COPY_OF) or entry["id"], sequence_text(max(number, 1)))
        sequenced.append({**entry, "value": _with_sequence(entry["value"], sequence, stream)})
    return sequenced


def _with_sequence(value: str, sequence: str, stream: str) -> str:
    event = json.loads(value)
    event["sequence"], event["sequencestream"] = sequence, stream
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


class OutboxSweeper:
    """Background task: publishes outboxes a failed or crashed publish left pending, and shows how
    many entries it found and how old the oldest is (``OutboxGauges``) from the same reads.

    Idle, it costs the store nothing that grows with the data: each round retries only the
    documents whose publish failed in this process (``OutboxDocuments.unpublished``, read by
    ``_id``), and every ``safety_interval`` (for a publisher that died holding a lease, a peer
    process that crashed) it reads the index of pending outboxes (``pending_outboxes.py``) and
    those documents by ``_id``. The whole collection (which FerretDB answers by reading every
    document) is scanned only at start, to publish what a crashed process or one older than the
    index left behind, and once more after the grace period."""

    def __init__(
        self,
        stores: Sequence[OutboxDocuments],
        *,
        gauges: OutboxGauges,
        interval: float = 1.0,
        grace: timedelta = timedelta(seconds=2),
        safety_interval: timedelta = SAFETY_SWEEP_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stores = stores
        self.gauges = gauges
        self.interval = interval
        self.grace = grace
        self.safety_interval = safety_interval
        self.monotonic = monotonic
        self.next_sweep: float | None = None  # None: the first round scans
        # Whole-collection scans still to make: at start, and after the grace period if any.
        self.start_scans = 2 if grace.total_seconds() > 0 else 1

    async def sweep_once(self) -> int:
        """The full scan: every overdue pending outbox of every store (indexed, if it was not)."""
        published = 0
        for store in self.stores:
            # On the store's own clock, the one its writes stamp ``outbox_touched_at`` with: on
            # another (e.g. real time with a test's clock), every fresh entry could look overdue
            # and the sweeper race the writer's own publish (SlaBreached seen twice), or none.
            now = store.clock()
            overdue = {PENDING: True, TOUCHED: {"$lt": now - self.grace}}
            collection = store.collection
            documents = await collection.find(overdue).limit(SWEEP_PAGE).to_list()
            await store.pending.indexed(documents, now)
            whole = len(documents) < SWEEP_PAGE
            entries, oldest = _backlog(documents) if whole else await _measured(collection, overdue)
            try:
                published += await self._publish(store, documents, entries, oldest, settled=whole)
            except BaseException:  # retried every round from now on, not after the next scan
                store.unpublished.update(d["_id"] for d in documents)
                raise
        return published

    async def safety_sweep_once(self) -> int:
        """The overdue pending outboxes the index names, read by ``_id``."""
        published = 0
        for store in self.stores:
            now = store.clock()
            fields = {f"{OUTBOX}.{WRITTEN}": 1, TOUCHED: 1}
            pending = await store.pending.swept(store.collection, fields, now=now)
            overdue = [d for d in pending if d[TOUCHED] < now - self.grace]
            entries, oldest = _backlog(overdue)
            page = overdue[:SWEEP_PAGE]
            try:
                settled = len(page) == len(overdue)
                published += await self._publish(store, page, entries, oldest, settled=settled)
            except BaseException:
                store.unpublished.update(d["_id"] for d in page)
                raise
        return published

    async def retry_once(self) -> int:
        """The idle round: only the documents whose publish failed here, read by ``_id``."""
        published = 0
        for store in self.stores:
            if not store.unpublished:
                continue
            ids = sorted(store.unpublished)[:SWEEP_PAGE]
            documents = await store.collection.find({"_id": {"$in": ids}, PENDING: True}).to_list()
            entries, oldest = _backlog(documents)
            store.unpublished.difference_update(ids)
            try:
                published += await self._publish(store, documents, entries, oldest, settled=True)
            except BaseException:
                store.unpublished.update(ids)
                raise
        return published

    async def _publish(
        self,
        store: OutboxDocuments,
        documents: Sequence[Document],
        entries: int,
        oldest: datetime | None,
        *,
        settled: bool,
    ) -> int:
        name = store.collection.name
        self.gauges.show(name, entries=entries, oldest=oldest)
        published = await store.publisher.publish_many(store.collection, documents)
        if settled:  # all of them published; a larger backlog is measured again next round
            self.gauges.show(name, entries=0, oldest=None)
        return published

    async def sweep(self) -> None:
        """The step ``ServiceRuntime.periodic`` runs every ``interval``: a start scan or the
        safety sweep when due, else the retries; logged."""
        now = self.monotonic()
        if self.next_sweep is None or now >= self.next_sweep:
            # The first scan is repeated once the grace period is over: a process restarted
            # right after a crash would otherwise find the crashed writes not yet overdue.
            started = self.next_sweep is None and self.start_scans > 1
            wait = self.grace if started else self.safety_interval
            self.next_sweep = now + wait.total_seconds() + (self.interval if started else 0)
            if self.start_scans:
                self.start_scans -= 1
                published = await self.sweep_once()
            else:
                published = await self.safety_sweep_once()
        else:
            published = await self.retry_once()
        if published:
            log.info("outbox swept", extra={"fields": {"published": published}})


def _backlog(documents: Sequence[Document]) -> tuple[int, datetime | None]:
    """How many entries ``documents`` hold and when the oldest was written."""
    written = [
        entry.get(WRITTEN) or document[TOUCHED]
        for document in documents
        for entry in document.get(OUTBOX) or ()
    ]
    return len(written), min(written, default=None)


async def _measured(
    collection: AsyncCollection[Document], overdue: Document
) -> tuple[int, datetime | None]:
    """A backlog beyond one page (Kafka away for a while): one more scan, of the times only."""
    times = collection.find(overdue, {f"{OUTBOX}.{WRITTEN}": 1, TOUCHED: 1})
    return _backlog(await times.to_list())


@dataclass
class OutboxDocuments:
    """Base of a repository whose documents carry an outbox: where they live, who publishes them,
    the settings that name the topics, and the outbox's clock (``outbox_touched_at`` is stamped on
    it and the sweeper measures its grace period on it, so the two cannot disagree)."""

    collection: AsyncCollection[Document]
    publisher: OutboxPublisher
    settings: ServiceSettings
    clock: Clock = utc_now
    # Documents whose immediate publish failed in this process: the sweeper retries them every
    # round by ``_id`` (a crash forgets them; the safety sweep finds them in the index then).
    unpublished: set[Any] = field(default_factory=set)

    @cached_property
    def pending(self) -> PendingOutboxes:
        """The index of the documents whose outbox may be pending (``pending_outboxes.py``)."""
        return PendingOutboxes.beside(self.collection)

    async def announce(self, ids: Sequence[Any]) -> str:
        """Before a write that appends to the outboxes of ``ids``: their entries in the index;
        the token goes into the write (``with_outbox``)."""
        return await self.pending.announce(ids, self.clock())

    async def write(
        self,
        filter: Document,
        update: Document,
        events: Sequence[OutboxItem],
        *,
        replace_outbox: bool = False,
    ) -> Document | None:
        """``update`` on the document ``filter`` matches with ``events`` (events, v1 copies,
        tombstones) appended to its outbox, in one single-document write, then published; None
        (nothing written) if none matched.

        ``replace_outbox`` drops the entries not published yet instead of appending (erasure:
        they may carry personal data). ``filter`` names the document's ``_id``: its entry in the
        index of pending outboxes is written first."""
        if events or replace_outbox:
            announced = await self.announce([filter["_id"]])
            entries = self.entries(events)
            update = self.with_outbox(update, entries, announced=announced, replace=replace_outbox)
        document = await self.collection.find_one_and_update(
            filter, update, return_document=ReturnDocument.AFTER
        )
        if document is not None and events:
            await self.publish_now([document])
        return document

    async def insert(self, document: Document, events: Sequence[OutboxItem]) -> None:
        """A new document with ``events`` in its outbox, then published."""
        entries = self.entries(events)
        numbered = sum(_numbered(entry) for entry in entries)
        fields = {
            OUTBOX: entries,
            SEQUENCE: numbered,
            APPENDED: len(entries),
            PENDING: True,
            TOUCHED: self.clock(),
            ANNOUNCED: await self.announce([document["_id"]]),
        }
        created = {**document, **fields}
        await self.collection.insert_one(created)
        await self.publish_now([created])

    def entries(self, events: Sequence[OutboxItem]) -> list[Document]:
        return outbox_entries(events, self.settings)

    def with_outbox(
        self, update: Document, entries: list[Document], *, announced: str, replace: bool = False
    ) -> Document:
        """``update`` that also appends ``entries`` to the outbox (with ``replace``: sets them as
        the outbox), for a write ``write`` cannot make (e.g. one of a bulk); ``announced`` is
        what ``announce`` returned for its document, before."""
        fields = {PENDING: True, TOUCHED: self.clock(), ANNOUNCED: announced}
        # Counted in the same write: the entries' sequence numbers are fixed by it.
        numbered = sum(_numbered(entry) for entry in entries)
        counts = {SEQUENCE: numbered, APPENDED: len(entries)}
        merged = {**update, "$inc": {**update.get("$inc", {}), **counts}}
        if replace:
            return {**merged, "$set": {**update.get("$set", {}), OUTBOX: entries, **fields}}
        merged["$set"] = {**update.get("$set", {}), **fields}
        merged["$push"] = {**update.get("$push", {}), OUTBOX: {"$each": entries}}
        return merged

    async def publish_now(self, documents: Sequence[Document]) -> None:
        """The low-latency path, the same everywhere: a failure is logged and left to the
        sweeper, which publishes whatever is pending after its grace period; the write it
        follows is done, so raising would only abandon the caller's remaining work."""
        try:
            await self.publisher.publish_many(self.collection, documents)
        except Exception:
            self.unpublished.update(d["_id"] for d in documents)
            log.warning("immediate publish failed; outbox sweeper will retry", exc_info=True)
