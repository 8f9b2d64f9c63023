"""In-app messages: stored per contact, read over HTTP (``GET /contacts/{id}/inbox``)."""

from __future__ import annotations

import contextlib

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
        }
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(document)


class MongoInbox:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def messages(self, contact_id: str, *, limit: int = 50) -> list[Document]:
        cursor = self.collection.find({"contact_id": contact_id}).sort("created_at", -1)
        return [document async for document in cursor.limit(limit)]

    async def erase(self, contact_id: str) -> None:
        await self.collection.delete_many({"contact_id": contact_id})
