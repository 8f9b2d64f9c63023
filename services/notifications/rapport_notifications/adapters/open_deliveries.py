"""The ``open_deliveries`` collection: one small entry per delivery not sent or failed yet, keyed
by the delivery's key, so the worker's safety sweep reads what is open by ``_id`` instead of
scanning every delivery ever made (FerretDB reads every document for a filter on another field).

Kept without a transaction, in an order a crash cannot break: an entry is inserted *before* its
delivery and deleted only *after* the delivery was written sent or failed, states nothing reopens.
A crash in between leaves an entry too many (its delivery finished, or never stored), which the
sweep deletes; never an open delivery without its entry. Deliveries stored before this collection
existed get theirs from the full scan each process makes at start.

The same class keeps ``open_webhook_deliveries`` (event webhook deliveries not delivered or failed)
and ``scheduled_campaigns`` (campaigns not launched), in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document

OPEN_DELIVERIES = "open_deliveries"
# An entry whose delivery is still not stored this long after: its writer died before the insert
# (a redelivered trigger inserts both again).
NEVER_STORED = timedelta(hours=1)
PAGE = 500


@dataclass
class OpenDeliveries:
    collection: AsyncCollection[Document]

    async def opened(self, keys: Iterable[str], now: datetime) -> None:
        """Keys of deliveries about to be stored (or found open); an entry known is kept."""
        documents = [{"_id": key, "opened_at": now} for key in keys]
        if not documents:
            return
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise

    async def closed(self, keys: Sequence[str]) -> None:
        """Deliveries written sent or failed (or entries whose delivery was never stored)."""
        if keys:
            await self.collection.delete_many({"_id": {"$in": list(keys)}})

    async def entries(self) -> list[Document]:
        return await self.collection.find({}).to_list()

    async def swept(
        self,
        deliveries: AsyncCollection[Document],
        fields: Document,
        *,
        live: set[str],
        now: datetime,
    ) -> list[Document]:
        """The open deliveries, read by ``_id``: ``fields`` of each whose state is in ``live``;
        entries whose delivery finished, or was never stored, are deleted."""
        entries = await self.entries()
        found: list[Document] = []
        finished: list[str] = []
        for start in range(0, len(entries), PAGE):
            page = entries[start : start + PAGE]
            keys = [entry["_id"] for entry in page]
            stored = {
                d["_id"]: d for d in await deliveries.find({"_id": {"$in": keys}}, fields).to_list()
            }
            for entry in page:
                delivery = stored.get(entry["_id"])
                if delivery is not None and delivery["state"] in live:
                    found.append(delivery)
                elif delivery is not None or entry["opened_at"] < now - NEVER_STORED:
                    finished.append(entry["_id"])
        await self.closed(finished)
        return found
