"""The ``webhook_subscriptions`` collection: one document per subscription, secret included
(it signs every delivery; it is never logged and never shown again after creation, except to a
retry of the creating request with its Idempotency-Key, from the answer kept in the document)."""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.idempotency import RECORDS, KeptAnswer
from rapport_kit.mongo import Document
from rapport_notifications.domain.webhook_subscription import (
    Filters,
    Subscription,
    SubscriptionState,
)
from rapport_notifications.service_layer.ports import Fields

WEBHOOK_SUBSCRIPTIONS = "webhook_subscriptions"


class MongoWebhookSubscriptions:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def add(self, subscription: Subscription, *, kept: KeptAnswer | None = None) -> None:
        """One insert: the subscription and a keyed request's answer (``rapport_kit.idempotency``),
        so a crash can store neither or both."""
        answers = {RECORDS: {kept.key_id: kept.document()}} if kept is not None else {}
        await self.collection.insert_one({**_document(subscription), **answers})

    async def get(self, subscription_id: str) -> Subscription | None:
        document = await self.collection.find_one({"_id": subscription_id})
        return None if document is None else _subscription(document)

    async def all(self) -> list[Subscription]:
        return [_subscription(d) async for d in self.collection.find({}).sort("created_at", 1)]

    async def change(self, subscription_id: str, fields: Fields) -> Subscription | None:
        document = await self.collection.find_one_and_update(
            {"_id": subscription_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )
        return None if document is None else _subscription(document)

    async def remove(self, subscription_id: str) -> bool:
        result = await self.collection.delete_one({"_id": subscription_id})
        return result.deleted_count == 1

    async def failed_attempt(self, subscription_id: str, now: datetime) -> Subscription | None:
        # Two steps, each a single-document update: the streak's start is set only once.
        await self.collection.update_one(
            {"_id": subscription_id, "failing_since": None}, {"$set": {"failing_since": now}}
        )
        document = await self.collection.find_one_and_update(
            {"_id": subscription_id},
            {"$inc": {"failures": 1}},
            return_document=ReturnDocument.AFTER,
        )
        return None if document is None else _subscription(document)

    async def succeeded(self, subscription_id: str) -> None:
        await self.collection.update_one(
            {"_id": subscription_id}, {"$set": {"failures": 0, "failing_since": None}}
        )


def _document(subscription: Subscription) -> Document:
    return {
        "_id": subscription.subscription_id,
        "url": subscription.url,
        "event_types": sorted(subscription.event_types),
        "secret": subscription.secret,
        "personal_data": subscription.personal_data,
        "filters": {
            "countries": sorted(subscription.filters.countries),
            "changed_fields": sorted(subscription.filters.changed_fields),
        },
        "state": subscription.state.value,
        "description": subscription.description,
        "created_at": subscription.created_at,
        "failures": subscription.failures,
        "failing_since": subscription.failing_since,
        "disabled_reason": subscription.disabled_reason,
        "previous_secret": subscription.previous_secret,
        "previous_secret_until": subscription.previous_secret_until,
    }


def _subscription(document: Document) -> Subscription:
    filters = document.get("filters") or {}
    return Subscription(
        subscription_id=document["_id"],
        url=document["url"],
        event_types=frozenset(document["event_types"]),
        secret=document["secret"],
        personal_data=bool(document["personal_data"]),
        filters=Filters(
            countries=frozenset(filters.get("countries") or ()),
            changed_fields=frozenset(filters.get("changed_fields") or ()),
        ),
        state=SubscriptionState(document["state"]),
        description=document.get("description"),
        created_at=document.get("created_at"),
        failures=int(document.get("failures") or 0),
        failing_since=document.get("failing_since"),
        disabled_reason=document.get("disabled_reason"),
        previous_secret=document.get("previous_secret"),
        previous_secret_until=document.get("previous_secret_until"),
    )
