"""Contact storage: the contact document and its outbox change in one atomic write.

Every write is conditional on the version that was read (optimistic concurrency), so two requests
changing one contact never lose each other's change; the loser gets ``ConcurrentUpdate``.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from rapport_contacts.adapters.documents import ERASED, STATE_FIELDS, from_document, to_document
from rapport_contacts.domain.errors import ConcurrentUpdate
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.service_layer.ports import Events, SegmentFilter
from rapport_kit.idempotency import RECORDS, KeptAnswer
from rapport_kit.mongo import Document
from rapport_kit.outbox import OUTBOX, OutboxDocuments

# Fields of the listing; the rest (outbox, clocks, cases) stays in the document.
LISTED = {"profile": 1, "consents": 1, "registered_at": 1, "referred_by": 1, "status": 1}


class MongoContactRepository(OutboxDocuments):
    """The ``ContactRepository`` port on MongoDB."""

    async def create_indexes(self) -> None:
        await self.collection.create_index([("sla_next_due_at", ASCENDING)])
        await self.collection.create_index([("likely_key", ASCENDING)])
        await self.collection.create_index([("profile.country", ASCENDING)])

    async def add(
        self, contact: Contact, events: Events, *, kept: KeptAnswer | None = None
    ) -> None:
        document = {"_id": contact.contact_id, **to_document(contact), "version": 1}
        if kept is not None:
            document[RECORDS] = {kept.key_id: kept.document()}
        await self.insert(document, events)

    async def get(self, contact_id: str) -> Contact | ErasedContact | None:
        document = await self.collection.find_one({"_id": contact_id}, {OUTBOX: 0, RECORDS: 0})
        return from_document(document) if document else None

    async def save(
        self,
        contact: Contact | ErasedContact,
        events: Events,
        *,
        replace_outbox: bool = False,
        kept: KeptAnswer | None = None,
    ) -> None:
        """Write the new state and append ``events`` to the outbox, if nobody wrote meanwhile.

        ``replace_outbox`` drops entries not published yet (erasure: they may carry personal data).
        """
        state = to_document(contact)
        answer = kept.fields() if kept is not None else {}
        update: Document = {"$set": {**state, **answer, "version": contact.version + 1}}
        gone = [name for name in STATE_FIELDS if name not in state]
        if isinstance(contact, ErasedContact):
            gone.append(RECORDS)  # kept answers quote the profile
        if unset := dict.fromkeys(gone, ""):
            update["$unset"] = unset
        written = await self.write(
            {"_id": contact.contact_id, "version": contact.version},
            update,
            events,
            replace_outbox=replace_outbox,
        )
        if written is None:
            raise ConcurrentUpdate(contact.contact_id)

    async def likely_duplicates(self, key: str, *, excluding: str) -> list[str]:
        query = {"likely_key": key, "_id": {"$ne": excluding}, "status": "active"}
        return [d["_id"] async for d in self.collection.find(query, {"_id": 1}).limit(20)]

    async def in_segment(
        self, segment: SegmentFilter, *, limit: int, after: str | None
    ) -> list[Contact]:
        query: Document = {"status": "active"}
        if after is not None:
            query["_id"] = {"$gt": after}
        for field, value in (
            ("profile.country", segment.country),
            ("profile.segment.industry", segment.industry),
            ("profile.segment.region", segment.region),
            ("profile.segment.tags", segment.tag),
        ):
            if value is not None:
                query[field] = value
        cursor = self.collection.find(query, LISTED).sort("_id", ASCENDING).limit(limit)
        return [_as_contact(document) async for document in cursor]

    async def overdue(self, now: datetime, *, limit: int) -> list[Contact]:
        query = {"sla_next_due_at": {"$lte": now}, "status": "active"}
        cursor = self.collection.find(query, {OUTBOX: 0, RECORDS: 0}).limit(limit)
        return [_as_contact(document) async for document in cursor]


def _as_contact(document: Document) -> Contact:
    contact = from_document(document)
    assert isinstance(contact, Contact), f"{ERASED} contacts are filtered by the query"
    return contact
