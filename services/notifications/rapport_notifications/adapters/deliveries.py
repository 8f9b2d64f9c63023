"""The ``deliveries`` collection: the delivery state machine (``domain/delivery.py``) in MongoDB,
one document per idempotency key, each outcome event in its outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, InsertOne, ReturnDocument
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.outbox import OutboxDocuments
from rapport_kit.trace_context import trace_carrier
from rapport_notifications.domain.delivery import DUE_STATES as DUE
from rapport_notifications.domain.delivery import Claimed, LostClaim, State
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_schemas import CloudEvent

DELIVERIES = "deliveries"
# The domain's due states, as the query compares them.
DUE_STATES = sorted(state.value for state in DUE)


class MongoDeliveries(OutboxDocuments):
    async def ensure_indexes(self) -> None:
        for indexed in ("state", "due_at", "contact_id", "recipient_id"):
            await self.collection.create_index([(indexed, ASCENDING)])

    async def add(self, plans: Sequence[PlannedDelivery], now: datetime) -> None:
        """Insert new deliveries; a key that exists already (a redelivered trigger) is kept."""
        if not plans:
            return
        try:
            await self.collection.bulk_write(
                [InsertOne(_new(p, now)) for p in plans], ordered=False
            )
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise

    async def scheduled_count(self) -> int:
        return await self.collection.count_documents({"state": State.SCHEDULED.value})

    async def due(self, now: datetime, *, limit: int = 100) -> list[tuple[str, str]]:
        """(delivery id, contact id) of the deliveries due first."""
        query = {"state": {"$in": DUE_STATES}, "due_at": {"$lte": now}}
        fields = {"_id": 1, "contact_id": 1}
        cursor = self.collection.find(query, fields).sort("due_at", ASCENDING).limit(limit)
        return [(document["_id"], document["contact_id"]) async for document in cursor]

    async def claim(self, key: str, now: datetime, lease: timedelta) -> Claimed | None:
        token = uuid.uuid4().hex
        document = await self.collection.find_one_and_update(
            {"_id": key, "state": {"$in": DUE_STATES}, "due_at": {"$lte": now}},
            {"$set": {"state": State.CLAIMED.value, "claim": token, "lease_until": now + lease}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        attempts = int(document.get("attempts", 0))
        return Claimed(_plan(document), token, attempts, document.get("trace") or {})

    async def mark_sending(self, claimed: Claimed, fields: Document) -> None:
        """The last write before the channel is called: from here on the outcome is unknown
        until recorded (see ``expire_leases``)."""
        await self._update(claimed, {"$set": {"state": State.SENDING.value, **fields}})

    async def release(self, claimed: Claimed, fields: Document) -> None:
        """Back to pending (to retry later), without an outcome event."""
        await self._update(
            claimed, {"$set": {"state": State.PENDING.value, "claim": None, **fields}}
        )

    async def record(
        self, claimed: Claimed, fields: Document, events: Sequence[CloudEvent[Any]]
    ) -> None:
        """State change and outcome events in one single-document write, then publish (a failed
        publish is logged and left to the sweeper, which runs in the same worker)."""
        update = {"$set": {"claim": None, **fields}}
        filter_ = {"_id": claimed.plan.key, "claim": claimed.token}
        if await self.write(filter_, update, events) is None:
            raise LostClaim(claimed.plan.key)

    async def expired(self, now: datetime, state: State) -> list[Claimed]:
        query = {"state": state.value, "lease_until": {"$lt": now}}
        return [
            Claimed(_plan(d), d["claim"], int(d.get("attempts", 0)))
            async for d in self.collection.find(query).limit(100)
        ]

    async def open_for_contact(self, contact_id: str) -> list[PlannedDelivery]:
        query = {"contact_id": contact_id, "state": {"$in": DUE_STATES}}
        return [_plan(document) async for document in self.collection.find(query)]

    async def drop(self, plan: PlannedDelivery, events: Sequence[CloudEvent[Any]]) -> None:
        """Fail a not-yet-claimed delivery (erased contact); a claimed one is left to its worker."""
        update = {"$set": {"state": State.FAILED.value, "failure": "contact_erased"}}
        await self.write({"_id": plan.key, "state": {"$in": DUE_STATES}}, update, events)

    async def forget_personal_data(self, contact_id: str) -> None:
        await self.collection.update_many({"contact_id": contact_id}, {"$set": {"facts": {}}})

    async def _update(self, claimed: Claimed, update: Document) -> None:
        result = await self.collection.update_one(
            {"_id": claimed.plan.key, "claim": claimed.token}, update
        )
        if result.matched_count != 1:
            raise LostClaim(claimed.plan.key)


def _new(plan: PlannedDelivery, now: datetime) -> Document:
    return {
        "_id": plan.key,
        "notification_id": plan.notification_id,
        "state": State.PENDING.value,
        "trigger_event_id": plan.trigger_event_id,
        "template": plan.template.value,
        "contact_id": plan.contact_id,
        "agent_id": plan.agent_id,
        "facts": plan.facts,
        "received_at": plan.received_at,
        "due_at": now,
        "attempts": 0,
        "created_at": now,
        "trace": trace_carrier(plan.trigger_event_id),  # the send continues the trigger's trace
    }


def _plan(document: Document) -> PlannedDelivery:
    return PlannedDelivery(
        trigger_event_id=document["trigger_event_id"],
        template=Template(document["template"]),
        contact_id=document["contact_id"],
        received_at=document["received_at"],
        facts=document.get("facts") or {},
        agent_id=document.get("agent_id"),
    )
