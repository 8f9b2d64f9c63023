"""The ``webhook_deliveries`` collection: one document per (subscription, event), keyed
``<subscription id>:<event id>``, so a redelivered event is stored once; claims and outcomes are
conditional single-document updates, safe with several notifications instances."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document
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
OPEN = sorted(state.value for state in OPEN_STATES)
FINISHED = [DeliveryState.DELIVERED.value, DeliveryState.FAILED.value]
PENDING = DeliveryState.PENDING.value


class MongoWebhookDeliveries:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

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
        try:
            await self.collection.bulk_write(
                [InsertOne(_new(d, now)) for d in deliveries], ordered=False
            )
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise

    async def due(
        self, subscription_ids: Sequence[str], now: datetime, *, limit: int
    ) -> list[DueDelivery]:
        query = {
            "subscription_id": {"$in": list(subscription_ids)},
            "state": PENDING,
            "next_attempt_at": {"$lte": now},
        }
        fields = {"subscription_id": 1, "contact_id": 1, "order": 1}
        cursor = self.collection.find(query, fields).sort("order", ASCENDING).limit(limit)
        return [
            DueDelivery(d["_id"], d["subscription_id"], d["contact_id"], d["order"])
            async for d in cursor
        ]

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
        return None if document is None else _claimed(document)

    async def settle(self, claimed: ClaimedDelivery, fields: Fields) -> bool:
        result = await self.collection.update_one(
            {"_id": claimed.key, "claim": claimed.token}, {"$set": {"claim": None, **fields}}
        )
        return result.matched_count == 1

    async def expire_leases(self, now: datetime) -> int:
        result = await self.collection.update_many(
            {"state": DeliveryState.SENDING.value, "lease_until": {"$lt": now}},
            {"$set": {"state": PENDING, "claim": None, "next_attempt_at": now}},
        )
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
        result = await self.collection.update_many(
            {
                "subscription_id": subscription_id,
                "event_time": {"$gte": start, "$lt": end},
                "state": {"$in": FINISHED},
            },
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
        return result.modified_count

    async def remove_subscription(self, subscription_id: str) -> None:
        await self.collection.delete_many({"subscription_id": subscription_id})

    async def forget_finished(self, before: datetime) -> int:
        result = await self.collection.delete_many(
            {"state": {"$in": FINISHED}, "created_at": {"$lt": before}}
        )
        return result.deleted_count

    async def open_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        query = {"event_id": {"$in": list(event_ids)}, "state": {"$in": OPEN}}
        return {d["event_id"] async for d in self.collection.find(query, {"event_id": 1})}


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
