"""Transactional outbox kept inside the aggregate's own document.

A state change and the events describing it are one atomic single-document update (no
multi-document transactions on FerretDB). The writer publishes right after its write for low
latency; a sweeper republishes whatever a crashed writer left behind. Either may publish an entry
twice; consumers recognise the duplicate by its CloudEvents ``id``. Entries are removed only after
Kafka acknowledged them (``acks=all``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import context, propagate
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.broker import Acknowledgement, acknowledged, enqueue
from rapport_kit.clock import Clock, utc_now
from rapport_kit.mongo import Document
from rapport_kit.observability import OutboxGauges
from rapport_kit.settings import ServiceSettings
from rapport_kit.trace_context import trace_carrier
from rapport_schemas import CloudEvent

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PENDING = "outbox_pending"
TOUCHED = "outbox_touched_at"
# Wall-clock time an entry was serialised, i.e. written (entries written before it existed are
# dated by their document's ``outbox_touched_at``): the outbox gauges' "oldest entry".
WRITTEN = "written_at"
SWEEP_PAGE = 500


def outbox_entries(events: Sequence[CloudEvent[Any]], settings: ServiceSettings) -> list[Document]:
    """Serialised events ready to ``$push``, each with the trace context it continues: its
    trigger's (for events caused by a consumed event) or else the caller's (e.g. an HTTP call)."""
    return [
        {
            "id": event.id,
            "topic": settings.topic(type(event.data).topic),
            "key": event.partitionkey,
            "value": event.model_dump_json(),
            "trace": trace_carrier(getattr(event.data, "trigger_event_id", None)),
            WRITTEN: utc_now(),
        }
        for event in events
    ]


class OutboxPublisher:
    """Publishes outboxes, then removes what Kafka acknowledged."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def publish(self, collection: AsyncCollection[Document], document: Document) -> int:
        return await self.publish_many(collection, [document])

    async def publish_many(
        self, collection: AsyncCollection[Document], documents: Sequence[Document]
    ) -> int:
        """Every entry is queued on the producer in order (a document's entries in their own
        order, so per-key order holds), all acknowledgements are awaited together, then the
        published entries are removed in one bulk write. A failure removes nothing: the sweeper
        publishes again and consumers recognise the repeats by event id."""
        if not documents:
            return 0
        published = [d for d in documents if d.get(OUTBOX)]
        await acknowledged([await self._enqueue(e) for d in published for e in d[OUTBOX]])
        if published:
            # Exact-value $pullAll: FerretDB 1.24 ignores $pull with a condition on a field.
            await collection.bulk_write([_removal(d) for d in published], ordered=False)
        await collection.update_many(
            {"_id": {"$in": [d["_id"] for d in documents]}, OUTBOX: {"$size": 0}},
            {"$set": {PENDING: False}},
        )
        return sum(len(d[OUTBOX]) for d in published)

    async def _enqueue(self, entry: Document) -> Acknowledgement:
        token = context.attach(propagate.extract(entry.get("trace") or {}))
        try:
            value, topic, key = entry["value"].encode(), entry["topic"], entry["key"].encode()
            return await enqueue(self.broker, value, topic=topic, key=key)
        finally:
            context.detach(token)


def _removal(document: Document) -> UpdateOne:
    return UpdateOne({"_id": document["_id"]}, {"$pullAll": {OUTBOX: document[OUTBOX]}})


class OutboxSweeper:
    """Background task: publishes outboxes a crashed writer left pending, and shows how many
    entries it found and how old the oldest is (``OutboxGauges``) from the same scan."""

    def __init__(
        self,
        stores: Sequence[OutboxDocuments],
        *,
        gauges: OutboxGauges,
        interval: float = 1.0,
        grace: timedelta = timedelta(seconds=2),
    ) -> None:
        self.stores = stores
        self.gauges = gauges
        self.interval = interval
        self.grace = grace

    async def sweep_once(self) -> int:
        published = 0
        for store in self.stores:
            # On the store's own clock, the one its writes stamp ``outbox_touched_at`` with: on
            # another (e.g. real time with a test's clock), every fresh entry could look overdue
            # and the sweeper race the writer's own publish (SlaBreached seen twice), or none.
            overdue = {PENDING: True, TOUCHED: {"$lt": store.clock() - self.grace}}
            collection = store.collection
            documents = await collection.find(overdue).limit(SWEEP_PAGE).to_list()
            whole = len(documents) < SWEEP_PAGE
            entries, oldest = _backlog(documents) if whole else await _measured(collection, overdue)
            self.gauges.show(collection.name, entries=entries, oldest=oldest)
            published += await store.publisher.publish_many(collection, documents)
            if whole:  # all of them published; a larger backlog is measured again next round
                self.gauges.show(collection.name, entries=0, oldest=None)
        return published

    async def sweep(self) -> None:
        """``sweep_once``, logged: the step ``ServiceRuntime.periodic`` runs every ``interval``."""
        published = await self.sweep_once()
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

    async def write(
        self,
        filter: Document,
        update: Document,
        events: Sequence[CloudEvent[Any]],
        *,
        replace_outbox: bool = False,
    ) -> Document | None:
        """``update`` on the document ``filter`` matches with ``events`` appended to its outbox,
        in one single-document write, then published; None (nothing written) if none matched.

        ``replace_outbox`` drops the entries not published yet instead of appending (erasure:
        they may carry personal data)."""
        if events or replace_outbox:
            update = self.with_outbox(update, self.entries(events), replace=replace_outbox)
        document = await self.collection.find_one_and_update(
            filter, update, return_document=ReturnDocument.AFTER
        )
        if document is not None and events:
            await self.publish_now([document])
        return document

    async def insert(self, document: Document, events: Sequence[CloudEvent[Any]]) -> None:
        """A new document with ``events`` in its outbox, then published."""
        created = {**document, OUTBOX: self.entries(events), PENDING: True, TOUCHED: self.clock()}
        await self.collection.insert_one(created)
        await self.publish_now([created])

    def entries(self, events: Sequence[CloudEvent[Any]]) -> list[Document]:
        return outbox_entries(events, self.settings)

    def with_outbox(
        self, update: Document, entries: list[Document], *, replace: bool = False
    ) -> Document:
        """``update`` that also appends ``entries`` to the outbox (with ``replace``: sets them as
        the outbox), for a write ``write`` cannot make (e.g. one of a bulk)."""
        fields = {PENDING: True, TOUCHED: self.clock()}
        if replace:
            return {**update, "$set": {**update.get("$set", {}), OUTBOX: entries, **fields}}
        merged = {**update, "$set": {**update.get("$set", {}), **fields}}
        merged["$push"] = {**update.get("$push", {}), OUTBOX: {"$each": entries}}
        return merged

    async def publish_now(self, documents: Sequence[Document]) -> None:
        """The low-latency path, the same everywhere: a failure is logged and left to the
        sweeper, which publishes whatever is pending after its grace period; the write it
        follows is done, so raising would only abandon the caller's remaining work."""
        try:
            await self.publisher.publish_many(self.collection, documents)
        except Exception:
            log.warning("immediate publish failed; outbox sweeper will retry", exc_info=True)
