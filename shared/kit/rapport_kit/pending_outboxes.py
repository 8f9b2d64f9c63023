"""The index of pending outboxes: beside each outbox collection, ``<name>_pending_outboxes`` holds
one small entry per document whose outbox may be pending, keyed by the document's ``_id``, so the
sweeper's safety sweep reads those documents by ``_id`` instead of scanning the collection
(FerretDB reads every document for a filter on another field).

Kept without a transaction, by announcing before writing: a write that appends to an outbox first
sets its document's entry to a fresh token (an upsert), then writes the document with that token
(``outbox_announced``) in the same single-document update as the entries. An entry is deleted only
by a delete conditional on its token, once the document was seen not pending *with that token*:
by the publisher whose release ended the pending state, or by the sweep. A write in flight has
announced a newer token, so its entry stays. A crash between announcing and writing (or a write
whose filter matched nothing) leaves an entry too many, which the sweep deletes once it is
``NEVER_WRITTEN`` old; never a pending outbox without an entry. Documents stored before the index
existed are found by the full scan each process makes at start, which indexes them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document

SUFFIX = "_pending_outboxes"
# In the document: the token of the announcement its latest outbox write made.
ANNOUNCED = "outbox_announced"
TOKEN = "token"  # noqa: S105 (a field name)
AT = "announced_at"
# An entry announced this long ago whose document does not carry its token: the write never
# happened (its writer died, or its filter matched nothing); no write is in flight that long.
NEVER_WRITTEN = timedelta(hours=1)
PAGE = 500


@dataclass
class PendingOutboxes:
    collection: AsyncCollection[Document]

    @classmethod
    def beside(cls, documents: AsyncCollection[Document]) -> PendingOutboxes:
        return cls(documents.database[f"{documents.name}{SUFFIX}"])

    async def announce(self, ids: Sequence[Any], now: datetime) -> str:
        """The token the write about to append to the outboxes of ``ids`` stores with them."""
        token = uuid.uuid4().hex
        await self._upserted([({"_id": i}, {"$set": {TOKEN: token, AT: now}}) for i in ids])
        return token

    async def indexed(self, documents: Sequence[Document], now: datetime) -> None:
        """Pending outboxes a full scan found: an entry for each that has none (stored before the
        index existed), with the token it carries; an entry announced since is kept."""
        found = {TOKEN: None, AT: now}
        await self._upserted(
            [
                ({"_id": d["_id"]}, {"$setOnInsert": found | {TOKEN: d.get(ANNOUNCED)}})
                for d in documents
            ]
        )

    async def published(self, documents: Sequence[Document]) -> None:
        """Documents a release left not pending, with the token they were claimed with: their
        entries, unless announced again since."""
        await self._deleted([(d["_id"], d.get(ANNOUNCED)) for d in documents])

    async def swept(
        self, outboxes: AsyncCollection[Document], fields: Document, *, now: datetime
    ) -> list[Document]:
        """``fields`` of the documents whose outbox is pending, read by ``_id`` (with ``pending``
        and ``outbox_announced``); entries whose document is not pending with their token, or
        which were never written, are deleted."""
        entries = await self.collection.find({}).to_list()
        wanted = {**fields, "outbox_pending": 1, ANNOUNCED: 1}
        pending: list[Document] = []
        stale: list[tuple[Any, str | None]] = []
        for start in range(0, len(entries), PAGE):
            page = entries[start : start + PAGE]
            query = {"_id": {"$in": [entry["_id"] for entry in page]}}
            stored = {d["_id"]: d for d in await outboxes.find(query, wanted).to_list()}
            for entry in page:
                document = stored.get(entry["_id"])
                if document is not None and document.get("outbox_pending"):
                    pending.append(document)
                elif _settled(entry, document, now):
                    stale.append((entry["_id"], entry.get(TOKEN)))
        await self._deleted(stale)
        return pending

    async def _upserted(self, writes: list[tuple[Document, Document]]) -> None:
        if not writes:
            return
        upserts = [UpdateOne(filter_, update, upsert=True) for filter_, update in writes]
        try:
            await self.collection.bulk_write(upserts, ordered=False)
        except BulkWriteError as error:
            # Two upserts of one new entry at once: the loser's entry exists now; write it again.
            failed = error.details["writeErrors"]
            if any(e["code"] != DUPLICATE_KEY for e in failed):
                raise
            await self.collection.bulk_write([upserts[e["index"]] for e in failed], ordered=False)

    async def _deleted(self, entries: Sequence[tuple[Any, str | None]]) -> None:
        if entries:
            deletes = [DeleteOne({"_id": key, TOKEN: token}) for key, token in entries]
            await self.collection.bulk_write(deletes, ordered=False)


def _settled(entry: Document, document: Document | None, now: datetime) -> bool:
    """Whether ``entry`` may go: its document not pending with the entry's token, or its
    announcement's write never made."""
    if document is not None and document.get(ANNOUNCED) == entry.get(TOKEN):
        return True
    return bool(entry[AT] < now - NEVER_WRITTEN)
