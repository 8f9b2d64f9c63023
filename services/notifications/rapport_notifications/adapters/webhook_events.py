"""The ``webhook_events`` collection (each event a delivery refers to, stored once, as the
structured-mode CloudEvent) and ``webhook_contacts`` (each contact's last-known country, for
the country filter of events that carry no profile)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.trace_context import trace_carrier
from rapport_notifications.domain.webhook_delivery import StoredEvent
from rapport_notifications.domain.webhook_redaction import without_personal_data
from rapport_schemas import CloudEvent

WEBHOOK_EVENTS = "webhook_events"
WEBHOOK_CONTACTS = "webhook_contacts"


class MongoWebhookEvents:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.events = db[WEBHOOK_EVENTS]
        self.contacts = db[WEBHOOK_CONTACTS]

    async def ensure_indexes(self) -> None:
        await self.events.create_index("contact_id")
        await self.events.create_index("stored_at")

    async def keep(self, events: Sequence[CloudEvent[Any]], now: datetime) -> None:
        if not events:
            return
        documents = [InsertOne(_document(e, now)) for e in events]
        try:
            await self.events.bulk_write(documents, ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise

    async def body(self, event_id: str) -> StoredEvent | None:
        document = await self.events.find_one({"_id": event_id})
        if document is None:
            return None
        return StoredEvent(dict(document["event"]), dict(document.get("trace") or {}))

    async def forget_personal_data(self, contact_id: str) -> None:
        await self.contacts.delete_one({"_id": contact_id})
        async for document in self.events.find({"contact_id": contact_id, "erased": False}):
            erased = without_personal_data(document["event"])
            await self.events.update_one(
                {"_id": document["_id"]}, {"$set": {"event": erased, "erased": True}}
            )

    async def stored_before(self, cutoff: datetime, *, limit: int) -> list[str]:
        cursor = self.events.find({"stored_at": {"$lt": cutoff}}, {"_id": 1})
        return [d["_id"] async for d in cursor.sort("stored_at", 1).limit(limit)]

    async def forget(self, event_ids: Sequence[str]) -> None:
        if event_ids:
            await self.events.delete_many({"_id": {"$in": list(event_ids)}})

    async def remember_countries(self, countries: dict[str, str]) -> None:
        if countries:
            await self.contacts.bulk_write(
                [
                    UpdateOne({"_id": contact}, {"$set": {"country": country}}, upsert=True)
                    for contact, country in sorted(countries.items())
                ]
            )

    async def countries(self, contact_ids: Sequence[str]) -> dict[str, str]:
        cursor = self.contacts.find({"_id": {"$in": list(contact_ids)}})
        return {d["_id"]: d["country"] async for d in cursor}


def _document(event: CloudEvent[Any], now: datetime) -> Document:
    return {
        "_id": event.id,
        "stored_at": now,
        "contact_id": event.subject,
        "event": event.model_dump(mode="json"),
        "erased": False,
        "trace": trace_carrier(event.id),  # the sends continue the trace the event was read in
    }
