"""In-memory implementations of every port in ``service_layer/ports.py`` (cosmicpython's
``FakeRepository``): the use cases run against these in unit tests, against MongoDB, SMTP and
the webhook in the integration tier."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.projection import Document, fold
from rapport_notifications.domain.delivery import DUE_STATES, Claimed, LostClaim, State
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_notifications.service_layer.ports import DeliveryError, Fields, OutgoingMessage
from rapport_notifications.views.directory import DirectoryProjection
from rapport_schemas import CloudEvent
from rapport_schemas.common import Channel


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class FakeDeliveries:
    """``Deliveries`` and ``OutcomeOutbox`` over a dict of delivery documents; ``published`` is
    every outcome event, in the order it was recorded."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.published: list[CloudEvent[Any]] = []
        self._tokens = (f"token-{n}" for n in itertools.count(1))
        # Called with the key right after a claim, e.g. to let another worker take it over.
        self.after_claim: Callable[[str], None] | None = None

    async def add(self, plans: Sequence[PlannedDelivery], now: datetime) -> None:
        for plan in plans:
            self.documents.setdefault(plan.key, _new(plan, now))

    async def due(self, now: datetime, *, limit: int = 100) -> list[tuple[str, str]]:
        due = [(d["due_at"], k, d["contact_id"]) for k, d in self.documents.items() if _due(d, now)]
        return [(key, contact_id) for _, key, contact_id in sorted(due)[:limit]]

    async def claim(self, key: str, now: datetime, lease: timedelta) -> Claimed | None:
        document = self.documents.get(key)
        if document is None or not _due(document, now):
            return None
        token = next(self._tokens)
        document.update(state=State.CLAIMED, claim=token, lease_until=now + lease)
        if self.after_claim is not None:
            self.after_claim(key)
        return Claimed(_plan(document), token, document["attempts"])

    async def mark_sending(self, claimed: Claimed, fields: Fields) -> None:
        self._held(claimed).update(state=State.SENDING, **fields)

    async def release(self, claimed: Claimed, fields: Fields) -> None:
        self._held(claimed).update(state=State.PENDING, claim=None, **fields)

    async def record(
        self, claimed: Claimed, fields: Fields, events: Sequence[CloudEvent[Any]]
    ) -> None:
        self._held(claimed).update(claim=None, **fields)
        self.published.extend(events)

    async def expired(self, now: datetime, state: State) -> list[Claimed]:
        return [
            Claimed(_plan(d), d["claim"], d["attempts"])
            for d in self.documents.values()
            if d["state"] == state and d["lease_until"] < now
        ]

    async def open_for_contact(self, contact_id: str) -> list[PlannedDelivery]:
        return [
            _plan(d)
            for d in self.documents.values()
            if d["contact_id"] == contact_id and d["state"] in DUE_STATES
        ]

    async def drop(self, plan: PlannedDelivery, events: Sequence[CloudEvent[Any]]) -> None:
        document = self.documents[plan.key]
        if document["state"] in DUE_STATES:
            document.update(state=State.FAILED, failure="contact_erased")
            self.published.extend(events)

    async def forget_personal_data(self, contact_id: str) -> None:
        for document in self.documents.values():
            if document["contact_id"] == contact_id:
                document["facts"] = {}

    async def scheduled_count(self) -> int:
        return sum(1 for d in self.documents.values() if d["state"] == State.SCHEDULED)

    def take_over(self, key: str) -> None:
        """Another worker claims the delivery (our lease expired meanwhile)."""
        self.documents[key]["claim"] = "another-worker"

    def state(self, key: str) -> State:
        return State(self.documents[key]["state"])

    def _held(self, claimed: Claimed) -> dict[str, Any]:
        document = self.documents[claimed.plan.key]
        if document["claim"] != claimed.token:
            raise LostClaim(claimed.plan.key)
        return document


def _new(plan: PlannedDelivery, now: datetime) -> dict[str, Any]:
    return {
        "plan": plan,
        "facts": plan.facts,
        "contact_id": plan.contact_id,
        "template": plan.template,
        "state": State.PENDING,
        "due_at": now,
        "attempts": 0,
        "claim": None,
        "created_at": now,
    }


def _due(document: dict[str, Any], now: datetime) -> bool:
    return document["state"] in DUE_STATES and document["due_at"] <= now


def _plan(document: dict[str, Any]) -> PlannedDelivery:
    return dataclasses.replace(document["plan"], facts=document["facts"])


class FakeDirectory:
    """``Directory`` over cards in a dict; as the consumer's directory step it folds the kit's
    projection in memory, as ``ProjectionConsumer`` does into MongoDB."""

    def __init__(self, *cards: ContactCard) -> None:
        self.documents: dict[str, Document] = {
            c.contact_id: c.model_dump(mode="json") for c in cards
        }

    async def card(self, contact_id: str) -> ContactCard | None:
        for _ in range(5):  # merges followed as far as MongoDirectory follows them
            document = self.documents.get(contact_id)
            if document is None:
                return None
            card = ContactCard.model_validate(document)
            if card.merged_into is None or card.erased:
                return card
            contact_id = card.merged_into
        return None

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        result = fold(DirectoryProjection(), self.documents, [r.projected for r in batch])
        self.documents.update(result.changed)


class FakeInbox:
    def __init__(self) -> None:
        self.stored: dict[str, list[dict[str, Any]]] = {}

    async def messages(
        self, contact_id: str, *, limit: int = 50, archived: bool = True
    ) -> list[dict[str, Any]]:
        kept = [m for m in self.stored.get(contact_id, []) if archived or not m.get("archived")]
        return list(reversed(kept))[:limit]

    async def unread_count(self, contact_id: str) -> int:
        return len([m for m in await self.messages(contact_id, archived=False) if not m["read"]])

    async def mark(
        self, contact_id: str, notification_id: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        for message in self.stored.get(contact_id, []):
            if message["_id"] == notification_id:
                message.update(changes)
                return message
        return None

    async def erase(self, contact_id: str) -> None:
        self.stored.pop(contact_id, None)


class FakeErasureRequests:
    def __init__(self) -> None:
        self.requested: dict[str, datetime] = {}

    async def request(self, contact_id: str, now: datetime) -> None:
        self.requested.setdefault(contact_id, now)

    async def pending(self, *, limit: int = 100) -> list[str]:
        return list(self.requested)[:limit]

    async def done(self, contact_id: str) -> None:
        del self.requested[contact_id]


class FakeChannel:
    """Accepts every message, unless told to fail the next sends first."""

    def __init__(self, channel: Channel, *failures: DeliveryError) -> None:
        self.channel = channel
        self.sent: list[OutgoingMessage] = []
        self.failures = list(failures)

    async def send(self, message: OutgoingMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


class FakeCounters:
    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str, str]] = Counter()
        self.scheduled: Counter[tuple[str, str]] = Counter()
        self.failed: Counter[tuple[str, str, bool]] = Counter()
        self.backlog: int | None = None

    def count_sent(self, template: str, channel: str, locale: str) -> None:
        self.sent[template, channel, locale] += 1

    def count_scheduled(self, template: str, reason: str) -> None:
        self.scheduled[template, reason] += 1

    def count_failure(self, template: str, reason: str, permanent: bool) -> None:
        self.failed[template, reason, permanent] += 1

    def show_backlog(self, scheduled: int) -> None:
        self.backlog = scheduled
