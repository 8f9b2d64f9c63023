"""Events in, deliveries out: each consumed event matched against every subscription."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from rapport_kit.clock import Clock
from rapport_notifications.domain.webhook_delivery import NewDelivery, order_key
from rapport_notifications.domain.webhook_subscription import event_country, matches
from rapport_notifications.service_layer.ports import (
    WebhookDeliveries,
    WebhookEvents,
    WebhookSubscriptions,
)
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import ContactErased


@dataclass(frozen=True)
class ReadEvent:
    """An event with the offset it was read at (orders a contact's events of one partition)."""

    event: CloudEvent[EventData]
    offset: int


@dataclass
class WebhookFanOut:
    subscriptions: WebhookSubscriptions
    events: WebhookEvents
    deliveries: WebhookDeliveries
    clock: Clock
    wake: asyncio.Event

    async def take_in(self, batch: Sequence[ReadEvent]) -> None:
        """Store a delivery per matching subscription and event; idempotent, so a redelivered
        batch changes nothing. Subscriptions see the events read after they were created."""
        now = self.clock()
        await self.events.remember_countries(_countries_in(batch))
        countries = await self.events.countries(sorted({r.event.subject for r in batch}))
        subscriptions = await self.subscriptions.all()
        planned = [
            NewDelivery(
                subscription_id=subscription.subscription_id,
                event_id=read.event.id,
                event_type=read.event.type,
                event_time=read.event.time,
                contact_id=read.event.subject,
                order=order_key(now, read.offset),
            )
            for read in batch
            for subscription in subscriptions
            if matches(subscription, read.event, _country(read, countries))
        ]
        matched = {delivery.event_id for delivery in planned}
        await self.events.keep([read.event for read in batch if read.event.id in matched], now)
        await self.deliveries.add(planned, now)
        for read in batch:
            if isinstance(read.event.data, ContactErased):
                await self.events.forget_personal_data(read.event.subject)
        if planned:
            self.wake.set()


def _countries_in(batch: Sequence[ReadEvent]) -> dict[str, str]:
    """The last country each contact's profile names in the batch."""
    found: dict[str, str] = {}
    for read in batch:
        country = event_country(read.event)
        if country is not None:
            found[read.event.subject] = country
    return found


def _country(read: ReadEvent, known: dict[str, str]) -> str | None:
    return event_country(read.event) or known.get(read.event.subject)
