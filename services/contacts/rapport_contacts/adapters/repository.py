"""Contact storage: the contact document and its outbox change in one atomic write."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from rapport_contacts.domain.model import Contact
from rapport_kit.mongo import Document
from rapport_kit.outbox import OutboxPublisher, append_update, outbox_entries
from rapport_kit.settings import ServiceSettings
from rapport_schemas import CloudEvent
from rapport_schemas.common import Consent
from rapport_schemas.contacts import ContactProfile

log = logging.getLogger(__name__)


class ContactRepository(Protocol):
    async def add(self, contact: Contact, events: Sequence[CloudEvent[Any]]) -> None: ...

    async def get(self, contact_id: str) -> Contact | None: ...

    async def record(self, contact_id: str, events: Sequence[CloudEvent[Any]]) -> None: ...


class MongoContactRepository:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        publisher: OutboxPublisher,
        settings: ServiceSettings,
    ) -> None:
        self.collection = collection
        self.publisher = publisher
        self.settings = settings

    async def add(self, contact: Contact, events: Sequence[CloudEvent[Any]]) -> None:
        now = datetime.now(UTC)
        document = {**_to_document(contact), "outbox": outbox_entries(events, self.settings)}
        document.update({"outbox_pending": True, "outbox_touched_at": now})
        await self.collection.insert_one(document)
        await self._publish_now(document)

    async def get(self, contact_id: str) -> Contact | None:
        document = await self.collection.find_one({"_id": contact_id}, {"outbox": 0})
        return _from_document(document) if document else None

    async def record(self, contact_id: str, events: Sequence[CloudEvent[Any]]) -> None:
        update = append_update(outbox_entries(events, self.settings), datetime.now(UTC))
        document = await self.collection.find_one_and_update(
            {"_id": contact_id}, update, return_document=ReturnDocument.AFTER
        )
        if document is not None:
            await self._publish_now(document)

    async def _publish_now(self, document: Document) -> None:
        """Low latency path; if Kafka is away the sweeper publishes later."""
        try:
            await self.publisher.publish(self.collection, document)
        except Exception:
            log.warning("immediate publish failed; outbox sweeper will retry", exc_info=True)


def _to_document(contact: Contact) -> Document:
    return {
        "_id": contact.contact_id,
        "profile": contact.profile.model_dump(mode="json"),
        "consents": [consent.model_dump(mode="json") for consent in contact.consents],
        "registered_at": contact.registered_at,
        "referred_by": contact.referred_by,
    }


def _from_document(document: Document) -> Contact:
    return Contact(
        contact_id=document["_id"],
        profile=ContactProfile.model_validate(document["profile"]),
        consents=tuple(Consent.model_validate(c) for c in document.get("consents", [])),
        registered_at=document["registered_at"],
        referred_by=document.get("referred_by"),
    )
