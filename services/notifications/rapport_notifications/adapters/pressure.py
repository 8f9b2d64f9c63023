"""The ``pressure`` collection: one document per contact holding the entries of its budget and
of its templates' frequency caps.

Reserving reads the document, lets the domain decide (``domain/pressure.py``), and writes the
result back with one conditional write guarded by the version it read (compare-and-set). When
another replica wrote in between, the guard matches nothing and the reservation starts over from
what that replica wrote, so neither the budget nor a cap can ever be passed. FerretDB applies the
guard atomically with Rapport's patch 0005 (deploy/local/ferretdb/patches); MongoDB always does.
"""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.mongo import Document
from rapport_notifications.domain.pressure import (
    Entry,
    PressureBudget,
    Refusal,
    released,
    reserved,
)

PRESSURE = "pressure"
# Each lost race means another replica took or gave back an entry for this contact; a handful
# settle in a few rounds. Past this, the delivery is left claimed and retried after its lease.
MAX_RACES = 50


class BudgetContention(Exception):
    """The budget document kept changing under us; nothing was reserved."""


class MongoPressureBudgets:
    def __init__(self, collection: AsyncCollection[Document], budget: PressureBudget) -> None:
        self.collection = collection
        self.budget = budget

    async def reserve(self, contact_id: str, wanted: Entry) -> Refusal | None:
        for _ in range(MAX_RACES):
            document = await self.collection.find_one({"_id": contact_id})
            entries = _entries(document)
            outcome = reserved(entries, wanted, self.budget)
            if not isinstance(outcome, tuple):
                return outcome
            if any(entry.key == wanted.key for entry in entries):
                return None  # held already (a retried send): nothing to write
            if await self._swapped(contact_id, document, outcome):
                return None
        raise BudgetContention(contact_id)

    async def release(self, contact_id: str, key: str) -> None:
        for _ in range(MAX_RACES):
            document = await self.collection.find_one({"_id": contact_id})
            entries = _entries(document)
            if not any(entry.key == key for entry in entries):
                return
            if await self._swapped(contact_id, document, released(entries, key)):
                return
        raise BudgetContention(contact_id)

    async def _swapped(
        self, contact_id: str, document: Document | None, entries: tuple[Entry, ...]
    ) -> bool:
        """Write ``entries`` if the document is still the one read; False if another won."""
        stored = [
            {"key": e.key, "at": e.at, "template": e.template, "budget": e.budget} for e in entries
        ]
        if document is None:
            try:
                await self.collection.insert_one(
                    {"_id": contact_id, "version": 1, "entries": stored}
                )
            except DuplicateKeyError:
                return False
            return True
        version = int(document["version"])
        result = await self.collection.update_one(
            {"_id": contact_id, "version": version},
            {"$set": {"version": version + 1, "entries": stored}},
        )
        return result.matched_count == 1


def _entries(document: Document | None) -> tuple[Entry, ...]:
    if document is None:
        return ()
    # Entries stored before caps joined carry neither field: they all drew on the budget.
    return tuple(
        Entry(str(item["key"]), item["at"], str(item.get("template", "")), item.get("budget", True))
        for item in document["entries"]
    )
