"""Durable erasure requests: the consumer records them, the delivery worker carries them out."""

from __future__ import annotations

import contextlib
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.mongo import Document

ERASURES = "erasure_requests"


class MongoErasureRequests:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def request(self, contact_id: str, now: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):  # a redelivered ContactErased
            await self.collection.insert_one({"_id": contact_id, "requested_at": now})

    async def pending(self, *, limit: int = 100) -> list[str]:
        return [d["_id"] async for d in self.collection.find({}, {"_id": 1}).limit(limit)]

    async def done(self, contact_id: str) -> None:
        await self.collection.delete_one({"_id": contact_id})
