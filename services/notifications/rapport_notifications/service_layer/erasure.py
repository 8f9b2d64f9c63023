"""Carry out erasures: pending and scheduled messages are dropped, stored personal data goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rapport_notifications.adapters.channels.in_app import MongoInbox
from rapport_notifications.adapters.deliveries import MongoDeliveries
from rapport_notifications.adapters.erasures import MongoErasureRequests
from rapport_notifications.domain.decision import CONTACT_ERASED
from rapport_notifications.service_layer import outcomes


@dataclass
class Eraser:
    requests: MongoErasureRequests
    deliveries: MongoDeliveries
    inbox: MongoInbox
    clock: Callable[[], datetime]

    async def erase_requested(self) -> int:
        contacts = await self.requests.pending()
        for contact_id in contacts:
            await self.erase(contact_id)
        return len(contacts)

    async def erase(self, contact_id: str) -> None:
        now = self.clock()
        for plan in await self.deliveries.open_for_contact(contact_id):
            event = outcomes.failed(
                plan, reason=CONTACT_ERASED, permanent=True, attempts=0, channel=None, now=now
            )
            await self.deliveries.drop(plan, [event])
        await self.deliveries.forget_personal_data(contact_id)
        await self.inbox.erase(contact_id)
        await self.requests.done(contact_id)
