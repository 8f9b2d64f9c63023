"""The uniqueness index: one document per claimed e-mail/phone, ``_id`` = the hashed key.

A unique index on optional profile fields would make every contact without a phone collide on
``null``; one document per claimed value (its ``_id`` is unique by nature) avoids that on MongoDB
and FerretDB alike.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_contacts.service_layer.ports import KeyClaim
from rapport_kit.mongo import Document


class MongoKeyStore:
    """The ``KeyStore`` port on MongoDB."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def create_indexes(self) -> None:
        await self.collection.create_index("contact_id")

    async def claim(self, key: str, contact_id: str, now: datetime) -> KeyClaim | None:
        try:
            await self.collection.insert_one(
                {"_id": key, "contact_id": contact_id, "claimed_at": now}
            )
        except DuplicateKeyError:
            existing = await self.collection.find_one({"_id": key})
            if existing is None:  # released meanwhile: try once more
                return await self.claim(key, contact_id, now)
            return KeyClaim(key, existing["contact_id"], existing["claimed_at"])
        return None

    async def take_over(self, stale: KeyClaim, contact_id: str, now: datetime) -> bool:
        """Conditional on the stale holder still holding it, so two takers cannot both win."""
        result = await self.collection.update_one(
            {"_id": stale.key, "contact_id": stale.contact_id},
            {"$set": {"contact_id": contact_id, "claimed_at": now}},
        )
        return result.modified_count == 1

    async def holder(self, key: str) -> KeyClaim | None:
        found = await self.collection.find_one({"_id": key})
        return KeyClaim(key, found["contact_id"], found["claimed_at"]) if found else None

    async def release(self, keys: list[str], contact_id: str) -> None:
        if keys:
            await self.collection.delete_many({"_id": {"$in": keys}, "contact_id": contact_id})

    async def release_all(self, contact_ids: list[str]) -> None:
        await self.collection.delete_many({"contact_id": {"$in": contact_ids}})
