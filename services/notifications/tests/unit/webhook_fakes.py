"""In-memory implementations of the event-webhook ports (``service_layer/ports.py``)."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rapport_kit.idempotency import KeptAnswer
from rapport_notifications.domain.webhook_delivery import (
    OPEN_STATES,
    Answer,
    Attempt,
    ClaimedDelivery,
    DeliveryState,
    DueDelivery,
    NewDelivery,
    StoredEvent,
    Verdict,
)
from rapport_notifications.domain.webhook_redaction import without_personal_data
from rapport_notifications.domain.webhook_subscription import Subscription
from rapport_notifications.service_layer.ports import Fields
from rapport_schemas import CloudEvent

PENDING = DeliveryState.PENDING.value


class FakeWebhookSubscriptions:
    def __init__(self, *subscriptions: Subscription) -> None:
        self.by_id = {s.subscription_id: s for s in subscriptions}
        self.kept: dict[str, KeptAnswer | None] = {}  # by subscription id, as ``add`` got it

    async def add(self, subscription: Subscription, *, kept: KeptAnswer | None = None) -> None:
        self.by_id[subscription.subscription_id] = subscription
        self.kept[subscription.subscription_id] = kept

    async def get(self, subscription_id: str) -> Subscription | None:
        return self.by_id.get(subscription_id)

    async def all(self) -> list[Subscription]:
        return list(self.by_id.values())

    async def change(self, subscription_id: str, fields: Fields) -> Subscription | None:
        if subscription_id not in self.by_id:
            return None
        known = {f.name for f in dataclasses.fields(Subscription)}
        typed = {k: v for k, v in fields.items() if k in known and k != "state"}
        changed = dataclasses.replace(self.by_id[subscription_id], **typed)
        if "state" in fields:
            changed = dataclasses.replace(changed, state=type(changed.state)(fields["state"]))
        self.by_id[subscription_id] = changed
        return changed

    async def remove(self, subscription_id: str) -> bool:
        return self.by_id.pop(subscription_id, None) is not None

    async def failed_attempt(self, subscription_id: str, now: datetime) -> Subscription | None:
        found = self.by_id.get(subscription_id)
        if found is None:
            return None
        since = found.failing_since or now
        return await self.change(
            subscription_id, {"failures": found.failures + 1, "failing_since": since}
        )

    async def succeeded(self, subscription_id: str) -> None:
        await self.change(subscription_id, {"failures": 0, "failing_since": None})


class FakeWebhookEvents:
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.known_countries: dict[str, str] = {}
        self.stored_at: dict[str, datetime] = {}

    async def keep(self, events: Sequence[CloudEvent[Any]], now: datetime) -> None:
        for event in events:
            self.events.setdefault(event.id, event.model_dump(mode="json"))
            self.stored_at.setdefault(event.id, now)

    async def stored_before(self, cutoff: datetime, *, limit: int) -> list[str]:
        old = sorted(
            (at, e) for e, at in self.stored_at.items() if e in self.events and at < cutoff
        )
        return [event_id for _, event_id in old[:limit]]

    async def forget(self, event_ids: Sequence[str]) -> None:
        for event_id in event_ids:
            self.events.pop(event_id, None)

    async def body(self, event_id: str) -> StoredEvent | None:
        event = self.events.get(event_id)
        return None if event is None else StoredEvent(event)

    async def forget_personal_data(self, contact_id: str) -> None:
        self.known_countries.pop(contact_id, None)
        for event_id, event in self.events.items():
            if event["subject"] == contact_id:
                self.events[event_id] = without_personal_data(event)

    async def remember_countries(self, countries: dict[str, str]) -> None:
        self.known_countries.update(countries)

    async def countries(self, contact_ids: Sequence[str]) -> dict[str, str]:
        return {c: self.known_countries[c] for c in contact_ids if c in self.known_countries}


class FakeWebhookDeliveries:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self._tokens = (f"t{n}" for n in itertools.count())

    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> None:
        for d in deliveries:
            self.documents.setdefault(
                d.key,
                {**dataclasses.asdict(d), "_id": d.key, "state": PENDING, "attempts": 0}
                | {"next_attempt_at": now, "log": [], "replays": 0, "created_at": now},
            )

    async def due(
        self, subscription_ids: Sequence[str], now: datetime, *, limit: int
    ) -> list[DueDelivery]:
        due = [
            d
            for d in self.documents.values()
            if d["subscription_id"] in subscription_ids
            and d["state"] == PENDING
            and d["next_attempt_at"] <= now
        ]
        due.sort(key=lambda d: d["order"])
        return [
            DueDelivery(d["_id"], d["subscription_id"], d["contact_id"], d["order"])
            for d in due[:limit]
        ]

    async def waits_for_earlier(self, delivery: DueDelivery) -> bool:
        return any(
            d["subscription_id"] == delivery.subscription_id
            and d["contact_id"] == delivery.contact_id
            and d["order"] < delivery.order
            and d["state"] in OPEN_STATES
            for d in self.documents.values()
        )

    async def claim(self, key: str, now: datetime, lease: timedelta) -> ClaimedDelivery | None:
        d = self.documents[key]
        if d["state"] != PENDING or d["next_attempt_at"] > now:
            return None
        d.update(
            state=DeliveryState.SENDING.value, claim=next(self._tokens), lease_until=now + lease
        )
        log = tuple(
            Attempt(x["at"], x["reason"], Verdict(x["verdict"]), x["detail"]) for x in d["log"]
        )
        return ClaimedDelivery(
            key,
            d["subscription_id"],
            d["event_id"],
            d["event_type"],
            d["claim"],
            d["attempts"],
            log,
        )

    async def settle(self, claimed: ClaimedDelivery, fields: Fields) -> bool:
        d = self.documents[claimed.key]
        if d.get("claim") != claimed.token:
            return False
        d.update(claim=None, **fields)
        return True

    async def expire_leases(self, now: datetime) -> int:
        expired = [
            d
            for d in self.documents.values()
            if d["state"] == DeliveryState.SENDING.value and d["lease_until"] < now
        ]
        for d in expired:
            d.update(state=PENDING, claim=None, next_attempt_at=now)
        return len(expired)

    async def log(
        self, subscription_id: str, *, state: DeliveryState | None, limit: int
    ) -> list[dict[str, Any]]:
        found = [
            d
            for d in self.documents.values()
            if d["subscription_id"] == subscription_id and (state is None or d["state"] == state)
        ]
        return sorted(found, key=lambda d: d["order"], reverse=True)[:limit]

    async def replay(
        self, subscription_id: str, start: datetime, end: datetime, now: datetime
    ) -> int:
        finished = {DeliveryState.DELIVERED.value, DeliveryState.FAILED.value}
        chosen = [
            d
            for d in self.documents.values()
            if d["subscription_id"] == subscription_id
            and start <= d["event_time"] < end
            and d["state"] in finished
        ]
        for d in chosen:
            d.update(state=PENDING, next_attempt_at=now, attempts=0, replays=d["replays"] + 1)
        return len(chosen)

    async def remove_subscription(self, subscription_id: str) -> None:
        for key in [
            k for k, d in self.documents.items() if d["subscription_id"] == subscription_id
        ]:
            del self.documents[key]

    async def forget_finished(self, before: datetime) -> int:
        finished = {DeliveryState.DELIVERED.value, DeliveryState.FAILED.value}
        old = [
            k
            for k, d in self.documents.items()
            if d["state"] in finished and d["created_at"] < before
        ]
        for key in old:
            del self.documents[key]
        return len(old)

    async def open_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        return {
            d["event_id"]
            for d in self.documents.values()
            if d["event_id"] in event_ids and d["state"] in OPEN_STATES
        }

    def states(self) -> dict[str, str]:
        return {d["event_id"]: d["state"] for d in self.documents.values()}


class ScriptedSender:
    """Answers each event id from a script (then 200) and remembers every POST."""

    def __init__(self, scripts: dict[str, list[Answer]] | None = None) -> None:
        self.scripts = scripts or {}
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        self.posts.append((url, body, headers))
        script = self.scripts.get(headers["webhook-id"]) or []
        return script.pop(0) if script else Answer(status=200)

    def ids(self) -> list[str]:
        return [headers["webhook-id"] for _, _, headers in self.posts]


class CountingWebhookMetrics:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count_delivered(self, event_type: str) -> None:
        self.counts["delivered"] += 1

    def count_retried(self, event_type: str, reason: str) -> None:
        self.counts[f"retried {reason}"] += 1

    def count_failed(self, event_type: str, reason: str) -> None:
        self.counts[f"failed {reason}"] += 1

    def count_disabled(self) -> None:
        self.counts["disabled"] += 1
