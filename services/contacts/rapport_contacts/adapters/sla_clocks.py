"""The ``sla_clocks`` collection: one small entry per contact that may have an SLA clock running,
keyed by the contact's id, so the scheduler's safety sweep reads those contacts by ``_id`` instead
of scanning every contact (FerretDB reads every document for a filter on another field).

Kept without a transaction, by announcing before writing: a save whose new state has a clock
running first raises its contact's entry to the version it is about to write (``$max``), then
writes the contact (conditional on the version it read). An entry is deleted only when the contact
as read has no running clock *and* is at least at the entry's version, by a delete conditional on
that version, in the sweep (a save stopping a clock deletes nothing: no extra write on the common
path): a save in flight has announced a newer version, so its entry stays. A crash between
announcing and writing leaves an entry ahead of its contact, kept (one lookup a sweep) until the
contact's next save. Contacts stored before this collection existed get theirs from the full scan
each process makes at start.

The same class keeps ``pending_erasures`` (one entry per contact whose ``ErasureCompleted`` may
still be due: announced by the save that erases it, deleted by the sweep once the contact read is
completed and at least at the entry's version), read by the erasure completion's minute look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.mongo import Document

SLA_CLOCKS = "sla_clocks"
PENDING_ERASURES = "pending_erasures"
VERSION = "version"
_ID = "_id"
PAGE = 500


@dataclass
class SlaClocks:
    collection: AsyncCollection[Document]

    async def announce(self, contact_id: str, version: int) -> None:
        """A save of ``version`` with a clock running is about to be written."""
        try:
            await self._raise(contact_id, version)
        except DuplicateKeyError:  # a concurrent announce inserted the entry first: raise it
            await self._raise(contact_id, version)

    async def _raise(self, contact_id: str, version: int) -> None:
        await self.collection.update_one(
            {"_id": contact_id}, {"$max": {VERSION: version}}, upsert=True
        )

    async def announced(self, versions: Iterable[tuple[str, int]]) -> None:
        """The start scan's running clocks, at the versions read."""
        writes = [
            UpdateOne({"_id": contact_id}, {"$max": {VERSION: version}}, upsert=True)
            for contact_id, version in versions
        ]
        if writes:
            await self.collection.bulk_write(writes, ordered=False)

    async def swept(
        self, contacts: AsyncCollection[Document], due_field: str
    ) -> list[tuple[str, datetime]]:
        """(contact id, next deadline) of the contacts with a clock running, read by ``_id``;
        entries of contacts without one (at or past the entry's version) are deleted."""
        fields = {due_field: 1, "status": 1, VERSION: 1}
        running = await self.swept_contacts(
            contacts,
            fields,
            lambda c: c.get(due_field) is not None and c.get("status") == "active",
        )
        return [(contact[_ID], contact[due_field]) for contact in running]

    async def swept_contacts(
        self,
        contacts: AsyncCollection[Document],
        fields: Document,
        running: Callable[[Document], bool],
    ) -> list[Document]:
        """``fields`` (with the version) of the contacts for which ``running`` holds, read by
        ``_id``; entries of the others (at or past the entry's version) are deleted."""
        entries = await self.collection.find({}).to_list()
        found: list[Document] = []
        stale: list[DeleteOne] = []
        for start in range(0, len(entries), PAGE):
            page = {
                entry[_ID]: int(entry.get(VERSION, 0)) for entry in entries[start : start + PAGE]
            }
            query = {_ID: {"$in": list(page)}}
            stored = {
                d[_ID]: d for d in await contacts.find(query, fields | {VERSION: 1}).to_list()
            }
            for contact_id, announced in page.items():
                contact = stored.get(contact_id)
                if contact is not None and running(contact):
                    found.append(contact)
                elif contact is not None and int(contact.get(VERSION, 0)) >= announced:
                    stale.append(DeleteOne({_ID: contact_id, VERSION: announced}))
        if stale:
            await self.collection.bulk_write(stale, ordered=False)
        return found
