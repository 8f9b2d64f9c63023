"""Managing webhook subscriptions: create, change, remove, re-enable, replay, read the log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport_kit.clock import Clock
from rapport_kit.idempotency import KeptAnswer
from rapport_notifications.domain.webhook_delivery import DeliveryState
from rapport_notifications.domain.webhook_signing import generate_secret
from rapport_notifications.domain.webhook_subscription import (
    Filters,
    InvalidTarget,
    Subscription,
    SubscriptionState,
    check_target_url,
)
from rapport_notifications.service_layer.ports import (
    Fields,
    WebhookDeliveries,
    WebhookSubscriptions,
)


class InvalidField(ValueError):
    """A request field the use case refuses; ``field`` names it for the 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class SubscriptionNotFound(LookupError):
    pass


def new_subscription_id() -> str:
    """Chosen before anything is written, so a keyed request's claim can name it."""
    return f"whs_{uuid.uuid4().hex}"


Keep = Callable[[Subscription], KeptAnswer | None]


@dataclass(frozen=True)
class Wanted:
    """What a subscriber asks for; ``secret`` None: one is generated."""

    url: str
    event_types: frozenset[str]
    personal_data: bool
    filters: Filters = field(default_factory=Filters)
    description: str | None = None
    secret: str | None = None


@dataclass
class WebhookAdmin:
    subscriptions: WebhookSubscriptions
    deliveries: WebhookDeliveries
    clock: Clock
    allow_plain_http: bool
    secret_overlap: timedelta

    async def create(
        self,
        wanted: Wanted,
        *,
        subscription_id: str | None = None,
        keep: Keep = lambda _: None,
    ) -> Subscription:
        """The new subscription, its secret included (the only time it is shown); ``keep`` gives
        a keyed request's answer, stored by the same write as the subscription."""
        subscription = Subscription(
            subscription_id=subscription_id or new_subscription_id(),
            url=self._target(wanted.url),
            event_types=wanted.event_types,
            secret=wanted.secret or generate_secret(),
            personal_data=wanted.personal_data,
            filters=wanted.filters,
            description=wanted.description,
            created_at=self.clock(),
        )
        await self.subscriptions.add(subscription, kept=keep(subscription))
        return subscription

    async def get(self, subscription_id: str) -> Subscription:
        found = await self.subscriptions.get(subscription_id)
        if found is None:
            raise SubscriptionNotFound(subscription_id)
        return found

    async def change(self, subscription_id: str, changes: dict[str, Any]) -> Subscription:
        """Change the fields given (url, event_types, filters, personal_data, description)."""
        if "url" in changes:
            changes = {**changes, "url": self._target(changes["url"])}
        return await self._changed(subscription_id, changes)

    async def enable(self, subscription_id: str) -> Subscription:
        """The operator's re-enable: the failure streak starts again from zero."""
        fields = {"state": SubscriptionState.ACTIVE.value, "disabled_reason": None}
        return await self._changed(
            subscription_id, {**fields, "failures": 0, "failing_since": None}
        )

    async def disable(self, subscription_id: str) -> Subscription:
        fields = {"state": SubscriptionState.DISABLED.value, "disabled_reason": "by the operator"}
        return await self._changed(subscription_id, fields)

    async def rotate_secret(self, subscription_id: str, secret: str | None) -> Subscription:
        """A new secret (``secret``, or generated); the old one keeps signing for a while."""
        current = await self.get(subscription_id)
        fields = {
            "secret": secret or generate_secret(),
            "previous_secret": current.secret,
            "previous_secret_until": self.clock() + self.secret_overlap,
        }
        return await self._changed(subscription_id, fields)

    async def remove(self, subscription_id: str) -> None:
        if not await self.subscriptions.remove(subscription_id):
            raise SubscriptionNotFound(subscription_id)
        await self.deliveries.remove_subscription(subscription_id)

    async def replay(self, subscription_id: str, start: datetime, end: datetime) -> int:
        """Deliver again the events whose time is in [start, end), with their original ids."""
        await self.get(subscription_id)
        if end <= start:
            raise InvalidField("to", "must be later than from")
        return await self.deliveries.replay(subscription_id, start, end, self.clock())

    async def log(
        self, subscription_id: str, *, state: DeliveryState | None, limit: int
    ) -> list[dict[str, Any]]:
        await self.get(subscription_id)
        return await self.deliveries.log(subscription_id, state=state, limit=limit)

    def _target(self, url: str) -> str:
        try:
            return check_target_url(url, allow_plain_http=self.allow_plain_http)
        except InvalidTarget as error:
            raise InvalidField("url", str(error)) from None

    async def _changed(self, subscription_id: str, fields: Fields) -> Subscription:
        changed = await self.subscriptions.change(subscription_id, fields)
        if changed is None:
            raise SubscriptionNotFound(subscription_id)
        return changed
