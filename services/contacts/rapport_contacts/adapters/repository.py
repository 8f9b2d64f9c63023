"""Contact storage: the contact document and its outbox change in one atomic write.

Every write is conditional on the version that was read (optimistic concurrency), so two requests
changing one contact never lose each other's change; the loser gets ``ConcurrentUpdate``.

The SLA scheduler finds overdue clocks through wake-ups (``rapport_kit.wakeups``): each write here
notes the contact's next deadline as it wrote it, and a round reads only the contacts whose noted
deadline has passed, by ``_id``, with the same conditions as the scan it replaces; the breach
itself stays the versioned write that marks the clock (once, whoever wins). Deadlines no hint
covers (written by a peer that crashed) a safety sweep finds once a minute through ``sla_clocks``
(``adapters/sla_clocks.py``: the contacts that may have a clock running, read by ``_id``); the
whole collection is scanned only once, at start. The erasure completion's minute look for
pending erasures reads ``pending_erasures`` the same way (announced by the save that erases a
contact, before it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING

from rapport_contacts.adapters.documents import ERASED, STATE_FIELDS, from_document, to_document
from rapport_contacts.adapters.sla_clocks import PENDING_ERASURES, SLA_CLOCKS, SlaClocks
from rapport_contacts.domain.errors import ConcurrentUpdate
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.service_layer.ports import Events, PendingErasure, SegmentFilter
from rapport_kit.idempotency import RECORDS, KeptAnswer
from rapport_kit.mongo import Document
from rapport_kit.outbox import OUTBOX, PENDING, OutboxDocuments, OutboxTombstone
from rapport_kit.wakeups import Wakeups
from rapport_schemas import topics

# Fields of the listing; the rest (outbox, clocks, cases) stays in the document.
LISTED = {"profile": 1, "consents": 1, "registered_at": 1, "referred_by": 1, "status": 1}
ERASURE_PENDING = "erasure_pending"
ERASURE = {"status": 1, "erased_at": 1, ERASURE_PENDING: 1, "version": 1, PENDING: 1}


DUE = "sla_next_due_at"


@dataclasses.dataclass
class MongoContactRepository(OutboxDocuments):
    """The ``ContactRepository`` port on MongoDB."""

    # Each contact's next SLA deadline as this process last wrote it (or the last full scan read).
    deadlines: Wakeups = dataclasses.field(default_factory=Wakeups)
    # Whether this process made its full scan (at start); the later sweeps read ``clocks``.
    scanned: bool = False

    # Whether the erasure completion's first look (a scan of the whole collection) was made.
    erasures_scanned: bool = False

    def __post_init__(self) -> None:
        self.clocks = SlaClocks(self.collection.database[SLA_CLOCKS])
        # The contacts whose ErasureCompleted may still be due, kept like ``sla_clocks``.
        self.erasures = SlaClocks(self.collection.database[PENDING_ERASURES])

    async def create_indexes(self) -> None:
        await self.collection.create_index([("sla_next_due_at", ASCENDING)])
        await self.collection.create_index([("likely_key", ASCENDING)])
        await self.collection.create_index([("profile.country", ASCENDING)])
        # Only erased contacts have these: what the erasure completion and the rolls look for.
        await self.collection.create_index([("erasure_pending", ASCENDING)], sparse=True)
        await self.collection.create_index([("erased_at", ASCENDING)], sparse=True)

    async def add(
        self, contact: Contact, events: Events, *, kept: KeptAnswer | None = None
    ) -> None:
        document = {"_id": contact.contact_id, **to_document(contact), "version": 1}
        if kept is not None:
            document[RECORDS] = {kept.key_id: kept.document()}
        if document.get(DUE) is not None:
            await self.clocks.announce(contact.contact_id, 1)
        await self.insert(document, events)
        self._noted(contact.contact_id, document.get(DUE))

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
        tombstones: Sequence[str] = (),
    ) -> None:
        """Write the new state and append ``events`` to the outbox, if nobody wrote meanwhile,
        then a tombstone of each key in ``tombstones`` on the personal topic.

        ``replace_outbox`` drops entries not published yet (erasure: they may carry personal data).
        """
        state = to_document(contact)
        answer = kept.fields() if kept is not None else {}
        version = contact.version + 1
        update: Document = {"$set": {**state, **answer, "version": version}}
        gone = [name for name in STATE_FIELDS if name not in state]
        if isinstance(contact, ErasedContact):
            gone.append(RECORDS)  # kept answers quote the profile
        if unset := dict.fromkeys(gone, ""):
            update["$unset"] = unset
        if state.get(DUE) is not None:
            await self.clocks.announce(contact.contact_id, version)
        if state.get(ERASURE_PENDING):
            await self.erasures.announce(contact.contact_id, version)
        erasing = [OutboxTombstone(topics.CONTACTS_PERSONAL, key) for key in tombstones]
        written = await self.write(
            {"_id": contact.contact_id, "version": contact.version},
            update,
            [*events, *erasing],
            replace_outbox=replace_outbox,
        )
        if written is None:
            raise ConcurrentUpdate(contact.contact_id)  # the winner noted its own deadline
        self._noted(contact.contact_id, state.get(DUE))  # a stopped clock's entry: the sweep's

    async def pending_erasures(
        self, contact_ids: Sequence[str] | None, *, limit: int
    ) -> list[PendingErasure]:
        """The erased contacts of ``contact_ids`` whose completion is pending (None: every one,
        from ``pending_erasures``, read by ``_id``; the first time from a scan of the whole
        collection, which also indexes what it finds)."""
        query: Document = {ERASURE_PENDING: True}
        if contact_ids is not None:
            query["_id"] = {"$in": list(contact_ids)}
            found = await self.collection.find(query, ERASURE).limit(limit).to_list()
        elif self.erasures_scanned:
            found = await self.erasures.swept_contacts(
                self.collection, ERASURE, lambda c: bool(c.get(ERASURE_PENDING))
            )
        else:
            found = await self.collection.find(query, ERASURE).to_list()
            await self.erasures.announced((d["_id"], int(d.get("version", 0))) for d in found)
            self.erasures_scanned = True
        return [_pending(document) for document in found[:limit]]

    async def erased_since(self, since: datetime) -> bool:
        query = {"status": ERASED, "erased_at": {"$gte": since}}
        return await self.collection.find_one(query, {"_id": 1}) is not None

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
        """Active contacts with a deadline passed by ``now``: those noted as due, read by
        ``_id``; their note stays until the breach's save replaces it (a save that lost a race
        is decided again next round)."""
        await self._scanned_if_due()
        ids = [contact_id for contact_id, _ in self.deadlines.due(now, limit=limit)]
        if not ids:
            return []
        query = {"_id": {"$in": ids}, DUE: {"$lte": now}, "status": "active"}
        overdue = [
            _as_contact(d) async for d in self.collection.find(query, {OUTBOX: 0, RECORDS: 0})
        ]
        for stale in set(ids) - {contact.contact_id for contact in overdue}:
            self.deadlines.forget(stale)  # answered or moved on since: its writer noted that
        return overdue

    def _noted(self, contact_id: str, due_at: datetime | None) -> None:
        if due_at is None:
            self.deadlines.forget(contact_id)
        else:
            self.deadlines.note(contact_id, due_at)

    async def _scanned_if_due(self) -> None:
        """The safety sweep, when due: every running clock's deadline noted (at start from a
        scan of the whole collection, which also records what it finds in ``sla_clocks``)."""
        if not self.deadlines.full_scan_due():
            return
        mark = self.deadlines.mark()
        if self.scanned:
            running = await self.clocks.swept(self.collection, DUE)
        else:
            query = {DUE: {"$ne": None}, "status": "active"}
            found = await self.collection.find(query, {DUE: 1, "version": 1}).to_list()
            await self.clocks.announced((d["_id"], int(d.get("version", 0))) for d in found)
            running = [(d["_id"], d[DUE]) for d in found]
            self.scanned = True
        self.deadlines.reset([(contact_id, due, "") for contact_id, due in running], mark=mark)


def _pending(document: Document) -> PendingErasure:
    erased = from_document(document)
    assert isinstance(erased, ErasedContact), "only erased contacts have erasure_pending"
    # The outbox stops being pending only once every entry in it was acknowledged and removed.
    return PendingErasure(erased, acknowledged=not document.get(PENDING))


def _as_contact(document: Document) -> Contact:
    contact = from_document(document)
    assert isinstance(contact, Contact), f"{ERASED} contacts are filtered by the query"
    return contact
