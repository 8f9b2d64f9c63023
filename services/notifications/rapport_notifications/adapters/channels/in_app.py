"""In-app messages: stored per contact; the customer's own client reads and marks them over HTTP
(``/inbox``, with the contact's inbox token), operators read them (``/contacts/{id}/inbox``)."""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.clock import Clock, utc_now
from rapport_kit.mongo import Document
from rapport_notifications.service_layer.ports import OutgoingMessage
from rapport_schemas.common import Channel

INBOX = "inbox"


class InAppChannel:
    channel = Channel.IN_APP

    def __init__(self, collection: AsyncCollection[Document], clock: Clock = utc_now) -> None:
        self.collection = collection
        self.clock = clock

    async def send(self, message: OutgoingMessage) -> None:
        rendered = message.rendered
        document = {
            "_id": message.notification_id,  # a repeated send stores nothing twice
            "contact_id": message.contact_id,
            "template": rendered.template.value,
            "locale": rendered.locale,
            "direction": rendered.direction,
            "subject": rendered.subject,
            "body": rendered.text,
            "created_at": self.clock(),
            "read": False,
            "archived": False,
        }
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(document)


class MongoInbox:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def messages(
        self, contact_id: str, *, limit: int = 50, archived: bool = True
    ) -> list[Document]:
        query = {"contact_id": contact_id} if archived else _not_archived(contact_id)
        cursor = self.collection.find(query).sort("created_at", -1)
        return [document async for document in cursor.limit(limit)]

    async def unread_count(self, contact_id: str) -> int:
        return await self.collection.count_documents({**_not_archived(contact_id), "read": False})

    async def mark(
        self, contact_id: str, notification_id: str, changes: dict[str, Any]
    ) -> Document | None:
        # One conditional write: a message of another contact is never touched.
        return await self.collection.find_one_and_update(
            {"_id": notification_id, "contact_id": contact_id},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )

    async def erase(self, contact_id: str) -> None:
        await self.collection.delete_many({"contact_id": contact_id})


def _not_archived(contact_id: str) -> dict[str, Any]:
    # Messages stored before archiving existed have no ``archived`` field.
    return {"contact_id": contact_id, "archived": {"$ne": True}}
