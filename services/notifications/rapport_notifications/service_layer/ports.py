"""What the use cases need from the world; ``adapters/`` implements these for MongoDB, SMTP and
the webhook, ``tests/unit/fakes.py`` in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from rapport_kit.clock import Clock
from rapport_kit.idempotency import KeptAnswer
from rapport_notifications.domain.campaigns import Audience, Campaign
from rapport_notifications.domain.customer_links import CustomerLinks
from rapport_notifications.domain.delivery import Claimed, State
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.pressure import Entry, PressureBudget, Refusal
from rapport_notifications.domain.rendering import Rendered
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_notifications.domain.webhook_delivery import (
    Answer,
    ClaimedDelivery,
    DeliveryState,
    DueDelivery,
    NewDelivery,
    StoredEvent,
)
from rapport_notifications.domain.webhook_subscription import Subscription
from rapport_schemas import CloudEvent
from rapport_schemas.common import Channel

__all__ = [
    "Audiences",
    "CampaignLookup",
    "CampaignOutcomes",
    "Campaigns",
    "Clock",
    "Deliveries",
    "DeliveryChannel",
    "DeliveryCounters",
    "DeliveryError",
    "Directory",
    "ErasureRequests",
    "Fields",
    "Inbox",
    "OutcomeOutbox",
    "OutgoingMessage",
    "PressureBudgets",
    "WebhookCounters",
    "WebhookDeliveries",
    "WebhookEvents",
    "WebhookSender",
    "WebhookSubscriptions",
]

# Fields of a delivery set together with a state change (``due_at``, ``attempts``, ``channel`` …).
Fields = dict[str, Any]


class Deliveries(Protocol):
    """The deliveries, one per idempotency key; every write after ``claim`` is guarded by the
    claim's token and raises ``LostClaim`` when another worker took the delivery over."""

    async def add(self, plans: Sequence[PlannedDelivery], now: datetime) -> None:
        """Store new deliveries, due ``now``; a key stored already (a redelivery) is kept."""
        ...

    async def due(self, now: datetime, *, limit: int = 100) -> list[tuple[str, str]]:
        """(delivery key, contact id) of the pending or scheduled deliveries due first."""
        ...

    async def claim(self, key: str, now: datetime, lease: timedelta) -> Claimed | None:
        """Take a due delivery for ``lease``; None when it is not due (any more)."""
        ...

    async def mark_sending(self, claimed: Claimed, fields: Fields) -> None: ...

    async def release(self, claimed: Claimed, fields: Fields) -> None:
        """Back to pending without an outcome event."""
        ...

    async def expired(self, now: datetime, state: State) -> list[Claimed]:
        """Deliveries left in ``state`` (claimed or sending) whose lease ended before ``now``."""
        ...

    async def open_for_contact(self, contact_id: str) -> list[PlannedDelivery]:
        """The contact's deliveries not claimed yet (pending or scheduled)."""
        ...

    async def forget_personal_data(self, contact_id: str) -> None: ...

    async def scheduled_count(self) -> int: ...


class OutcomeOutbox(Protocol):
    """Outcome publishing: a delivery's new state and its outcome events in one write, then the
    events published (a crashed publish is left to the outbox sweeper)."""

    async def record(
        self, claimed: Claimed, fields: Fields, events: Sequence[CloudEvent[Any]]
    ) -> None:
        """Set ``fields`` on a claimed delivery and release the claim; ``LostClaim`` if taken."""
        ...

    async def drop(self, plan: PlannedDelivery, events: Sequence[CloudEvent[Any]]) -> None:
        """Fail a delivery that is not claimed (erased contact); a claimed one is left alone."""
        ...


class Directory(Protocol):
    async def card(self, contact_id: str) -> ContactCard | None:
        """The contact's card, following merges to the survivor; None if unknown."""
        ...


class PressureBudgets(Protocol):
    """The per-contact reservation: the one budget of non-transactional messages and the
    per-template frequency caps (``domain/pressure.py``)."""

    budget: PressureBudget

    async def reserve(self, contact_id: str, wanted: Entry) -> Refusal | None:
        """Take the entry in one conditional write checking the budget and the template's cap
        together (None: taken, or held already); ``Spent`` when the budget is full, ``Capped``
        when the cap is reached. Safe against other replicas."""
        ...

    async def release(self, contact_id: str, key: str) -> None:
        """Give the entry back: that message did not reach the customer."""
        ...


class Campaigns(Protocol):
    async def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; the one stored already when its id exists (a replayed POST)."""
        ...

    async def get(self, campaign_id: str) -> Campaign | None: ...

    async def due(self, now: datetime) -> list[Campaign]:
        """Scheduled campaigns whose time has come."""
        ...

    async def launched(self, campaign_id: str, now: datetime) -> None:
        """Every member's delivery is stored: nothing more to launch."""
        ...


class CampaignLookup(Protocol):
    async def get(self, campaign_id: str) -> Campaign | None: ...


class Audiences(Protocol):
    def members(self, audience: Audience) -> AsyncIterator[list[str]]:
        """The ids of the contacts in ``audience``, a page at a time."""
        ...


class CampaignOutcomes(Protocol):
    async def outcomes(self, campaign_id: str) -> list[tuple[str, str | None]]:
        """(state, reason) of each of the campaign's deliveries."""
        ...


class Inbox(Protocol):
    async def messages(
        self, contact_id: str, *, limit: int = 50, archived: bool = True
    ) -> list[dict[str, Any]]:
        """The contact's in-app messages, newest first; ``archived=False`` leaves those out."""
        ...

    async def unread_count(self, contact_id: str) -> int:
        """Messages neither read nor archived."""
        ...

    async def mark(
        self, contact_id: str, notification_id: str, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Set ``read``/``archived`` (and when) on one of the contact's messages; None if the
        contact has no such message."""
        ...

    async def erase(self, contact_id: str) -> None: ...


class ErasureRequests(Protocol):
    async def request(self, contact_id: str, now: datetime) -> None:
        """Record a request once (a redelivered ContactErased changes nothing)."""
        ...

    async def pending(self, *, limit: int = 100) -> list[str]: ...

    async def done(self, contact_id: str) -> None: ...


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str  # stable per (trigger, template, recipient): receivers can dedupe on it
    contact_id: str
    address: str
    rendered: Rendered
    unsubscribe: CustomerLinks | None = None  # non-transactional: RFC 8058 headers on e-mail


class DeliveryError(Exception):
    """``permanent``: retrying cannot help (bad address, 4xx); otherwise retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


class DeliveryChannel(Protocol):
    channel: Channel

    async def send(self, message: OutgoingMessage) -> None:
        """Return once the provider accepted the message; raise ``DeliveryError`` otherwise."""
        ...


class DeliveryCounters(Protocol):
    """Domain metrics of deliveries (labels bounded by the adapter)."""

    def count_sent(self, template: str, channel: str, locale: str) -> None: ...

    def count_scheduled(self, template: str, reason: str) -> None: ...

    def count_failure(self, template: str, reason: str, permanent: bool) -> None: ...

    def show_backlog(self, scheduled: int) -> None: ...


# Outbound webhooks: Rapport's events delivered over HTTP to subscribing systems.


class WebhookSubscriptions(Protocol):
    async def add(self, subscription: Subscription, *, kept: KeptAnswer | None = None) -> None:
        """``kept``: a keyed request's answer, stored by the same write as the subscription."""
        ...

    async def get(self, subscription_id: str) -> Subscription | None: ...

    async def all(self) -> list[Subscription]: ...

    async def change(self, subscription_id: str, fields: Fields) -> Subscription | None:
        """Set ``fields``; the subscription after the change, None if it does not exist."""
        ...

    async def remove(self, subscription_id: str) -> bool: ...

    async def failed_attempt(self, subscription_id: str, now: datetime) -> Subscription | None:
        """Lengthen the failure streak (started ``now`` if none); the subscription after."""
        ...

    async def succeeded(self, subscription_id: str) -> None:
        """End the failure streak."""
        ...


class WebhookEvents(Protocol):
    """The events deliveries refer to (each stored once), and each contact's last-known country."""

    async def keep(self, events: Sequence[CloudEvent[Any]], now: datetime) -> None:
        """Store events not stored yet (a redelivered event changes nothing)."""
        ...

    async def body(self, event_id: str) -> StoredEvent | None:
        """The stored structured-mode CloudEvent and the trace it was read in."""
        ...

    async def forget_personal_data(self, contact_id: str) -> None:
        """Remove the personal fields of every stored event about the contact, and what is
        remembered of it (erasure)."""
        ...

    async def stored_before(self, cutoff: datetime, *, limit: int) -> list[str]:
        """Ids of events stored before ``cutoff``, the oldest first."""
        ...

    async def forget(self, event_ids: Sequence[str]) -> None: ...

    async def remember_countries(self, countries: dict[str, str]) -> None: ...

    async def countries(self, contact_ids: Sequence[str]) -> dict[str, str]: ...


class WebhookDeliveries(Protocol):
    """One delivery per (subscription, event); every write after ``claim`` is guarded by the
    claim's token."""

    async def add(self, deliveries: Sequence[NewDelivery], now: datetime) -> None:
        """Store new deliveries, due ``now``; one stored already (a redelivery) is kept."""
        ...

    async def due(
        self, subscription_ids: Sequence[str], now: datetime, *, limit: int
    ) -> list[DueDelivery]:
        """Pending deliveries of these subscriptions due by ``now``, in contact order."""
        ...

    async def waits_for_earlier(self, delivery: DueDelivery) -> bool:
        """Is an earlier delivery of the same contact to the same subscription still open?"""
        ...

    async def claim(self, key: str, now: datetime, lease: timedelta) -> ClaimedDelivery | None:
        """Take a due delivery for ``lease``; None when it is not due (any more)."""
        ...

    async def settle(self, claimed: ClaimedDelivery, fields: Fields) -> bool:
        """Set ``fields`` and release the claim; False when another worker took it over."""
        ...

    async def expire_leases(self, now: datetime) -> int:
        """Deliveries whose sender vanished go back to pending (sent again: at-least-once)."""
        ...

    async def log(
        self, subscription_id: str, *, state: DeliveryState | None, limit: int
    ) -> list[dict[str, Any]]:
        """The subscription's deliveries, the latest events first."""
        ...

    async def replay(
        self, subscription_id: str, start: datetime, end: datetime, now: datetime
    ) -> int:
        """Finished deliveries of events whose time is in [start, end) due again; how many."""
        ...

    async def remove_subscription(self, subscription_id: str) -> None: ...

    async def forget_finished(self, before: datetime) -> int:
        """Delete delivered and failed deliveries enqueued before ``before``; how many."""
        ...

    async def open_event_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Those of ``event_ids`` that an open delivery still needs."""
        ...


class WebhookSender(Protocol):
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST once; the answer, never an exception for a receiver's fault."""
        ...


class WebhookCounters(Protocol):
    """Delivery metrics; labels are event types and bounded reasons, never personal data."""

    def count_delivered(self, event_type: str) -> None: ...

    def count_retried(self, event_type: str, reason: str) -> None: ...

    def count_failed(self, event_type: str, reason: str) -> None: ...

    def count_disabled(self) -> None: ...
