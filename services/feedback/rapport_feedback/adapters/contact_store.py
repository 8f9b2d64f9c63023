"""The contact's feedback document: state, decisions and their events in one atomic write."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from rapport_feedback.domain.contact import ChannelConsent, ContactFeedback, CountedMessage
from rapport_feedback.domain.outcome import Outcome
from rapport_kit.errors import TransientError
from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.outbox import OUTBOX, OutboxDocuments
from rapport_schemas.common import Channel

VERSION = "_v"
Loaded = dict[str, tuple[ContactFeedback, int]]


class MongoContactFeedbackStore(OutboxDocuments):
    async def ensure_indexes(self) -> None:
        """An erasure looks up the contacts merged into the erased one."""
        await self.collection.create_index("merged_into")

    async def load(self, contact_ids: Iterable[str]) -> Loaded:
        """The contacts and, transitively, the survivors they were merged into."""
        loaded: Loaded = {}
        wanted = set(contact_ids)
        while wanted:
            cursor = self.collection.find({"_id": {"$in": sorted(wanted)}}, {OUTBOX: 0})
            async for document in cursor:
                loaded[document["_id"]] = (_from_document(document), int(document[VERSION]))
            survivors = {s.merged_into for s, _ in loaded.values() if s.merged_into}
            wanted = survivors - loaded.keys()
        return loaded

    async def absorbed_into(self, contact_ids: Iterable[str]) -> set[str]:
        """``contact_ids`` and, transitively, every contact merged into one of them."""
        found = set(contact_ids)
        frontier = sorted(found)
        while frontier:
            cursor = self.collection.find({"merged_into": {"$in": frontier}}, {"_id": 1})
            frontier = sorted({d["_id"] async for d in cursor} - found)
            found.update(frontier)
        return found

    async def save(self, outcome: Outcome, loaded: Loaded) -> None:
        """One conditional write per changed contact, all in one bulk; a lost race fails the
        batch, which is retried from the start (decisions already taken are remembered)."""
        changed = sorted(outcome.changed)
        if not changed:
            return
        # Their entries in the index of pending outboxes, before the write.
        announced = await self.announce([c for c in changed if outcome.emitted.get(c)])
        written = [self._written(c, outcome, loaded, announced) for c in changed]
        try:
            await self.collection.bulk_write([w for w, _ in written], ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
            raise TransientError("contact feedback changed concurrently") from None
        await self.publish_now([document for _, document in written if document[OUTBOX]])

    def _written(
        self, contact_id: str, outcome: Outcome, loaded: Loaded, announced: str
    ) -> tuple[UpdateOne, Document]:
        version = loaded.get(contact_id, (None, 0))[1]
        entries = self.entries(outcome.emitted.get(contact_id, []))
        update: Document = {
            "$set": {**_to_document(outcome.current(contact_id)), VERSION: version + 1}
        }
        if entries:
            update = self.with_outbox(update, entries, announced=announced)
        write = UpdateOne({"_id": contact_id, VERSION: version}, update, upsert=True)
        return write, {"_id": contact_id, OUTBOX: entries}


def _to_document(state: ContactFeedback) -> Document:
    return {
        "language": state.language,
        "country": state.country,
        "preferred_channel": state.preferred_channel.value if state.preferred_channel else None,
        "account_owner": state.account_owner,
        "profile_at": state.profile_at,
        "consents": {
            channel.value: {"granted": mark.granted, "changed_at": mark.changed_at}
            for channel, mark in state.consents.items()
        },
        "erased": state.erased,
        "merged_into": state.merged_into,
        "last_nps_at": state.last_nps_at,
        "surveys": [{"id": m.id, "at": m.at} for m in state.surveys],
        "notifications": [{"id": m.id, "at": m.at} for m in state.notifications],
        "handled_triggers": list(state.handled_triggers),
    }


def _from_document(document: Document) -> ContactFeedback:
    preferred = document.get("preferred_channel")
    return ContactFeedback(
        contact_id=document["_id"],
        language=document.get("language"),
        country=document.get("country"),
        preferred_channel=Channel(preferred) if preferred else None,
        account_owner=document.get("account_owner"),
        profile_at=document.get("profile_at"),
        consents={
            Channel(channel): ChannelConsent(mark["granted"], mark["changed_at"])
            for channel, mark in (document.get("consents") or {}).items()
        },
        erased=bool(document.get("erased")),
        merged_into=document.get("merged_into"),
        last_nps_at=document.get("last_nps_at"),
        surveys=tuple(CountedMessage(m["id"], m["at"]) for m in document.get("surveys", [])),
        notifications=tuple(
            CountedMessage(m["id"], m["at"]) for m in document.get("notifications", [])
        ),
        handled_triggers=tuple(document.get("handled_triggers", [])),
    )
