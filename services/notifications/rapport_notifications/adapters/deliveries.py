"""The ``deliveries`` collection: the delivery state machine (``domain/delivery.py``) in MongoDB,
one document per idempotency key, each outcome event in its outbox.

The worker's rounds find due deliveries and expired leases through wake-ups
(``rapport_kit.wakeups``) rather than a scan every second: every write here notes when its delivery
next needs a look (due, or its lease ending) or forgets it (sent, failed), and the round reads only
those, by ``_id``, with the same conditions as before (a claim is a conditional write: a stale
wake-up claims nothing). What no hint covers (written by a peer that crashed) a safety sweep finds
once a minute in ``open_deliveries`` (``adapters/open_deliveries.py``: the deliveries not finished,
read by ``_id``); the whole collection is scanned only once, at start. The same reads count the
scheduled backlog, which this process's writes keep current between sweeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, InsertOne, ReturnDocument
from pymongo.errors import BulkWriteError

from rapport_kit.mongo import DUPLICATE_KEY, Document
from rapport_kit.outbox import OutboxDocuments
from rapport_kit.trace_context import trace_carrier
from rapport_kit.wakeups import Wakeups
from rapport_notifications.adapters.open_deliveries import OPEN_DELIVERIES, OpenDeliveries
from rapport_notifications.domain.delivery import DUE_STATES as DUE
from rapport_notifications.domain.delivery import Claimed, LostClaim, State
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_schemas import CloudEvent

DELIVERIES = "deliveries"
# The domain's due states, as the query compares them.
DUE_STATES = sorted(state.value for state in DUE)
LEASED = (State.CLAIMED, State.SENDING)
LIVE_STATES = sorted([*DUE_STATES, *(state.value for state in LEASED)])
# A delivery given back without a new due time was due when claimed: due already.
ALREADY_DUE = datetime.min.replace(tzinfo=UTC)
EXPIRED_PAGE = 100


@dataclass
class MongoDeliveries(OutboxDocuments):
    # When each delivery this process wrote is due (value: its contact) ...
    dues: Wakeups = field(default_factory=Wakeups)
    # ... or when its lease ends, per leased state (``full_interval`` and clock: ``dues``').
    leases: dict[State, Wakeups] = field(default_factory=dict)
    # Keys in state ``scheduled``, as the last full scan and this process's writes since left them.
    scheduled: set[str] = field(default_factory=set)
    # Whether this process made its full scan (at start); the later sweeps read ``open``.
    scanned: bool = False

    def __post_init__(self) -> None:
        for state in LEASED:
            self.leases.setdefault(state, Wakeups(self.dues.full_interval, self.dues.monotonic))
        self.open = OpenDeliveries(self.collection.database[OPEN_DELIVERIES])

    async def ensure_indexes(self) -> None:
        for indexed in ("state", "due_at", "contact_id", "recipient_id"):
            await self.collection.create_index([(indexed, ASCENDING)])

    async def add(self, plans: Sequence[PlannedDelivery], now: datetime) -> None:
        """Insert new deliveries; a key that exists already (a redelivered trigger) is kept."""
        if not plans:
            return
        await self.open.opened((plan.key for plan in plans), self.clock())
        try:
            await self.collection.bulk_write(
                [InsertOne(_new(p, now)) for p in plans], ordered=False
            )
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
        # Noted once written: the worker's round, in another task, would otherwise find a hint
        # of a delivery not stored yet, claim nothing and forget it until the safety sweep.
        for plan in plans:
            self.dues.note(plan.key, now, plan.contact_id)

    async def scheduled_count(self) -> int:
        await self._scanned_if_due()
        return len(self.scheduled)

    async def due(self, now: datetime, *, limit: int = 100) -> list[tuple[str, str]]:
        """(delivery id, contact id) of the deliveries due first, as the wake-ups know them."""
        await self._scanned_if_due()
        return self.dues.due(now, limit=limit)

    async def claim(self, key: str, now: datetime, lease: timedelta) -> Claimed | None:
        token = uuid.uuid4().hex
        document = await self.collection.find_one_and_update(
            {"_id": key, "state": {"$in": DUE_STATES}, "due_at": {"$lte": now}},
            {"$set": {"state": State.CLAIMED.value, "claim": token, "lease_until": now + lease}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:  # not due (any more): its writer, or the next sweep, knows when
            self.dues.forget(key)
            return None
        self.scheduled.discard(key)
        self.dues.forget(key)
        self.leases[State.CLAIMED].note(key, now + lease, document["contact_id"])
        attempts = int(document.get("attempts", 0))
        return Claimed(_plan(document), token, attempts, document.get("trace") or {})

    async def mark_sending(self, claimed: Claimed, fields: Document) -> None:
        """The last write before the channel is called: from here on the outcome is unknown
        until recorded (see ``expire_leases``)."""
        await self._update(claimed, {"$set": {"state": State.SENDING.value, **fields}})
        key = claimed.plan.key
        lease_until = self.leases[State.CLAIMED].noted(key)
        self.leases[State.CLAIMED].forget(key)
        if lease_until is not None:
            self.leases[State.SENDING].note(key, lease_until, claimed.plan.contact_id)

    async def release(self, claimed: Claimed, fields: Document) -> None:
        """Back to pending (to retry later), without an outcome event."""
        due_at = fields.get("due_at", ALREADY_DUE)
        self._noted(claimed, State.PENDING, due_at)  # before: it is due again from this write
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
        state = State(fields["state"]) if "state" in fields else None
        if state in DUE:  # due again (quiet hours): noted before the write
            self._noted(claimed, state, fields.get("due_at", ALREADY_DUE))
        if await self.write(filter_, update, events) is None:
            raise LostClaim(claimed.plan.key)
        if state not in DUE:  # sent or failed: nothing more to do
            self._noted(claimed, state, None)
            await self.open.closed([claimed.plan.key])

    async def expired(self, now: datetime, state: State) -> list[Claimed]:
        await self._scanned_if_due()
        keys = [key for key, _ in self.leases[state].due(now, limit=EXPIRED_PAGE)]
        if not keys:
            return []
        query = {"_id": {"$in": keys}, "state": state.value, "lease_until": {"$lt": now}}
        expired = [
            Claimed(_plan(d), d["claim"], int(d.get("attempts", 0)))
            async for d in self.collection.find(query)
        ]
        for key in set(keys) - {claimed.plan.key for claimed in expired}:
            self.leases[state].forget(key)  # finished or taken over since: not ours to expire
        return expired

    async def open_for_contact(self, contact_id: str) -> list[PlannedDelivery]:
        query = {"contact_id": contact_id, "state": {"$in": DUE_STATES}}
        return [_plan(document) async for document in self.collection.find(query)]

    async def drop(self, plan: PlannedDelivery, events: Sequence[CloudEvent[Any]]) -> None:
        """Fail a not-yet-claimed delivery (erased contact); a claimed one is left to its worker."""
        update = {"$set": {"state": State.FAILED.value, "failure": "contact_erased"}}
        written = await self.write({"_id": plan.key, "state": {"$in": DUE_STATES}}, update, events)
        if written is not None:
            self.dues.forget(plan.key)
            self.scheduled.discard(plan.key)
            await self.open.closed([plan.key])

    async def forget_personal_data(self, contact_id: str) -> None:
        await self.collection.update_many({"contact_id": contact_id}, {"$set": {"facts": {}}})

    def _noted(self, claimed: Claimed, state: State | None, due_at: datetime | None) -> None:
        """The delivery's next time after a write leaving it in ``state``: due at ``due_at``
        (pending, scheduled) or none (sent, failed); its lease over either way."""
        key = claimed.plan.key
        for leased in self.leases.values():
            leased.forget(key)
        if state is State.SCHEDULED:
            self.scheduled.add(key)
        else:
            self.scheduled.discard(key)
        if due_at is None:
            self.dues.forget(key)
        else:
            self.dues.note(key, due_at, claimed.plan.contact_id)

    async def _scanned_if_due(self) -> None:
        """The safety sweep, when due: every delivery not sent or failed yet, its time noted
        (at start from a scan of the whole collection, which also indexes what it finds)."""
        if not self.dues.full_scan_due():
            return
        mark, marks = self.dues.mark(), {state: w.mark() for state, w in self.leases.items()}
        fields = {"state": 1, "due_at": 1, "lease_until": 1, "contact_id": 1}
        now = self.clock()
        if self.scanned:
            live = await self.open.swept(self.collection, fields, live=set(LIVE_STATES), now=now)
        else:
            live = await self.collection.find({"state": {"$in": LIVE_STATES}}, fields).to_list()
            await self.open.opened((d["_id"] for d in live), now)
            self.scanned = True
        by_state: dict[State, list[tuple[str, datetime, str]]] = {s: [] for s in State}
        for d in live:
            state = State(d["state"])
            when = d["due_at"] if state in DUE else d.get("lease_until") or ALREADY_DUE
            by_state[state].append((d["_id"], when, d["contact_id"]))
        self.dues.reset([*by_state[State.PENDING], *by_state[State.SCHEDULED]], mark=mark)
        for state, wakeups in self.leases.items():
            wakeups.reset(by_state[state], mark=marks[state])
        self.scheduled = {key for key, _, _ in by_state[State.SCHEDULED]}

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
