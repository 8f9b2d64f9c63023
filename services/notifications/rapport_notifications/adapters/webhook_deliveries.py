"""The ``webhook_deliveries`` collection: one document per (subscription, event), keyed
``<subscription id>:<event id>``, so a redelivered event is stored once; claims and outcomes are
conditional single-document updates, safe with several notifications instances.

The relay's rounds find due deliveries and expired leases through wake-ups
(``rapport_kit.wakeups``) rather than a scan every second (FerretDB reads every delivery for a
filter on another field than ``_id``): every write here notes when its delivery next needs a look
(due, or its lease ending) or forgets it (delivered, failed), right after the write (a round
reading the delivery before it would find it not due and forget it), and a round reads only
those, by ``_id``, then acts through the same conditional writes as before (a stale wake-up
claims nothing). What no hint covers (written by a peer that crashed) the safety sweep finds once a
minute in ``open_webhook_deliveries`` (``adapters/open_deliveries.py``: an entry inserted before a
delivery is stored or reopened, deleted after it was written delivered or failed); the whole
collection is scanned only once, at start.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.wakeups import Wakeups
from rapport_notifications.adapters.open_deliveries import OpenDeliveries
from rapport_notifications.domain.webhook_delivery import (
    OPEN_STATES,
    Attempt,
    ClaimedDelivery,
    DeliveryState,
    DueDelivery,
    NewDelivery,
    Verdict,
)
from rapport_notifications.service_layer.ports import Fields

WEBHOOK_DELIVERIES = "webhook_deliveries"
OPEN_WEBHOOK_DELIVERIES = "open_webhook_deliveries"
OPEN = sorted(state.value for state in OPEN_STATES)
FINISHED = [DeliveryState.DELIVERED.value, DeliveryState.FAILED.value]
PENDING = DeliveryState.PENDING.value
SENDING = DeliveryState.SENDING.value
# What a round reads of a delivery it was woken for.
WOKEN = {"state": 1, "next_attempt_at": 1, "lease_until": 1, "subscription_id": 1}
PAGE = 500


class MongoWebhookDeliveries:
    def __init__(self, collection: AsyncCollection[Document], dues: Wakeups | None = None) -> None:
        self.collection = collection
        # When each delivery this process wrote is due (value: its subscription) ...
        self.dues = dues if dues is not None else Wakeups()  # (an empty one is falsy)
        # ... or when its lease ends (``full_interval`` and clock: ``dues``').
        self.leases = Wakeups(self.dues.full_interval, self.dues.monotonic)
        self.open = OpenDeliveries(collection.database[OPEN_WEBHOOK_DELIVERIES])
        # Whether this process made its full scan (at start); the later sweeps read ``open``.
        self.scanned = False

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
        await self.collection.create_index(
            [("subscription_id", ASCENDING), ("contact_id", ASCENDING), ("order", ASCENDING)]
        )
        await self.collection.create_index([("subscription_id", ASCENDING), ("event_time", 1)])
        await self.collection.create_index([("event_id", ASCENDING)])
        await self.collection.create_index([("created_at", ASCENDING)])

    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> None:
        if not deliveries:
            return
        await self.open.opened((d.key for d in deliveries), now)
        try:
            await self.collection.bulk_write(
                [InsertOne(_new(d, now)) for d in deliveries], ordered=False
            )
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
        for delivery in deliveries:  # once written: a round reading it before would forget it
            self.dues.note(delivery.key, now, delivery.subscription_id)

    async def due(
        self, subscription_ids: Sequence[str], now: datetime, *, limit: int
    ) -> list[DueDelivery]:
        """The due deliveries the wake-ups know of (of ``subscription_ids``: the others' stay
        noted), read by ``_id``; a stale hint is corrected from what was read."""
        await self._scanned_if_due(now)
        wanted = set(subscription_ids)
        hinted = self.dues.due(now, limit=len(self.dues))
        keys = [key for key, subscription_id in hinted if subscription_id in wanted][:limit]
        if not keys:
            return []
        fields = {**WOKEN, "contact_id": 1, "order": 1}
        found = await self.collection.find({"_id": {"$in": keys}}, fields).to_list()
        due = []
        for document in found:
            if document["state"] != PENDING:
                self.dues.forget(document["_id"])
            elif document["next_attempt_at"] > now:  # a peer's retry: due later
                self.dues.note(
                    document["_id"], document["next_attempt_at"], document["subscription_id"]
                )
            else:
                due.append(
                    DueDelivery(
                        document["_id"],
                        document["subscription_id"],
                        document["contact_id"],
                        document["order"],
                    )
                )
        for key in set(keys) - {document["_id"] for document in found}:
            self.dues.forget(key)  # removed with its subscription
        return sorted(due, key=lambda d: d.order)

    async def waits_for_earlier(self, delivery: DueDelivery) -> bool:
        query = {
            "subscription_id": delivery.subscription_id,
            "contact_id": delivery.contact_id,
            "order": {"$lt": delivery.order},
            "state": {"$in": OPEN},
        }
        return await self.collection.count_documents(query, limit=1) > 0

    async def claim(self, key: str, now: datetime, lease: timedelta) -> ClaimedDelivery | None:
        token = uuid.uuid4().hex
        document = await self.collection.find_one_and_update(
            {"_id": key, "state": PENDING, "next_attempt_at": {"$lte": now}},
            {
                "$set": {
                    "state": DeliveryState.SENDING.value,
                    "claim": token,
                    "lease_until": now + lease,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        self.dues.forget(key)  # claimed, by this process or another
        if document is None:
            return None
        self.leases.note(key, document["lease_until"], document["subscription_id"])
        return _claimed(document)

    async def settle(self, claimed: ClaimedDelivery, fields: Fields) -> bool:
        result = await self.collection.update_one(
            {"_id": claimed.key, "claim": claimed.token}, {"$set": {"claim": None, **fields}}
        )
        self.leases.forget(claimed.key)
        if result.matched_count != 1:  # taken over: the new holder's
            return False
        state = fields.get("state")
        if state == PENDING:  # due again
            self.dues.note(claimed.key, fields["next_attempt_at"], claimed.subscription_id)
        elif state in FINISHED:
            await self.open.closed([claimed.key])
        return True

    async def expire_leases(self, now: datetime) -> int:
        """The leases the wake-ups know of that ended, read by ``_id``, back to pending."""
        await self._scanned_if_due(now)
        keys = [key for key, _ in self.leases.due(now, limit=PAGE)]
        if not keys:
            return 0
        found = await self.collection.find({"_id": {"$in": keys}}, WOKEN).to_list()
        expired = []
        for document in found:
            key = document["_id"]
            if document["state"] == SENDING and document["lease_until"] < now:
                expired.append(document)
            elif document["state"] == SENDING:  # taken over by a peer since: its lease
                self.leases.note(key, document["lease_until"], document["subscription_id"])
                continue
            self.leases.forget(key)
        for key in set(keys) - {document["_id"] for document in found}:
            self.leases.forget(key)
        if not expired:
            return 0
        result = await self.collection.update_many(
            {
                "_id": {"$in": [d["_id"] for d in expired]},
                "state": SENDING,
                "lease_until": {"$lt": now},
            },
            {"$set": {"state": PENDING, "claim": None, "next_attempt_at": now}},
        )
        for document in expired:  # due at once (a stale one is corrected when read)
            self.dues.note(document["_id"], now, document["subscription_id"])
        return result.modified_count

    async def log(
        self, subscription_id: str, *, state: DeliveryState | None, limit: int
    ) -> list[dict[str, Any]]:
        query: Document = {"subscription_id": subscription_id}
        if state is not None:
            query["state"] = state.value
        cursor = self.collection.find(query, {"claim": 0}).sort("order", DESCENDING).limit(limit)
        return [document async for document in cursor]

    async def replay(
        self, subscription_id: str, start: datetime, end: datetime, now: datetime
    ) -> int:
        """Reopened in the index before the write that reopens them, noted due after it."""
        finished = {
            "subscription_id": subscription_id,
            "event_time": {"$gte": start, "$lt": end},
            "state": {"$in": FINISHED},
        }
        found = await self.collection.find(finished, {"_id": 1}).to_list()
        replayed = 0
        for page in range(0, len(found), PAGE):
            reopened = found[page : page + PAGE]
            replayed += await self._replayed(subscription_id, finished, reopened, now)
        return replayed

    async def _replayed(
        self, subscription_id: str, finished: Document, reopened: list[Document], now: datetime
    ) -> int:
        await self.open.opened((d["_id"] for d in reopened), now)
        result = await self.collection.update_many(
            {**finished, "_id": {"$in": [d["_id"] for d in reopened]}},
            {
                "$set": {
                    "state": PENDING,
                    "next_attempt_at": now,
                    "attempts": 0,
                    "replayed_at": now,
                },
                "$inc": {"replays": 1},
            },
        )
        for document in reopened:  # once written: a round reading it before would forget it
            self.dues.note(document["_id"], now, subscription_id)
        return result.modified_count

    async def remove_subscription(self, subscription_id: str) -> None:
        query = {"subscription_id": subscription_id}
        keys = [d["_id"] for d in await self.collection.find(query, {"_id": 1}).to_list()]
        await self.collection.delete_many(query)
        await self.open.closed(keys)

    async def forget_finished(self, before: datetime) -> int:
        result = await self.collection.delete_many(
            {"state": {"$in": FINISHED}, "created_at": {"$lt": before}}
        )
        return result.deleted_count

    async def open_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        query = {"event_id": {"$in": list(event_ids)}, "state": {"$in": OPEN}}
        return {d["event_id"] async for d in self.collection.find(query, {"event_id": 1})}

    async def _scanned_if_due(self, now: datetime) -> None:
        """The safety sweep, when due: every delivery not delivered or failed yet, its time
        noted (at start from a scan of the whole collection, which also indexes what it finds)."""
        if not self.dues.full_scan_due():
            return
        mark, lease_mark = self.dues.mark(), self.leases.mark()
        fields = WOKEN
        if self.scanned:
            live = await self.open.swept(self.collection, fields, live=set(OPEN), now=now)
        else:
            live = await self.collection.find({"state": {"$in": OPEN}}, fields).to_list()
            await self.open.opened((d["_id"] for d in live), now)
            self.scanned = True
        pending = [d for d in live if d["state"] == PENDING]
        sending = [d for d in live if d["state"] == SENDING]
        self.dues.reset(
            [(d["_id"], d["next_attempt_at"], d["subscription_id"]) for d in pending], mark=mark
        )
        self.leases.reset(
            [(d["_id"], d["lease_until"], d["subscription_id"]) for d in sending], mark=lease_mark
        )


def _new(delivery: NewDelivery, now: datetime) -> Document:
    return {
        "_id": delivery.key,
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "event_time": delivery.event_time,
        "contact_id": delivery.contact_id,
        "order": delivery.order,
        "state": PENDING,
        "next_attempt_at": now,
        "attempts": 0,
        "replays": 0,
        "log": [],
        "created_at": now,
    }


def _claimed(document: Document) -> ClaimedDelivery:
    return ClaimedDelivery(
        key=document["_id"],
        subscription_id=document["subscription_id"],
        event_id=document["event_id"],
        event_type=document["event_type"],
        token=document["claim"],
        attempts=int(document.get("attempts") or 0),
        log=tuple(
            Attempt(line["at"], line["reason"], Verdict(line["verdict"]), line.get("detail"))
            for line in document.get("log") or ()
        ),
    )
