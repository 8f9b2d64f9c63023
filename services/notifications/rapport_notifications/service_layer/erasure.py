"""Carry out erasures: pending and scheduled messages are dropped, stored personal data goes."""

from __future__ import annotations

from dataclasses import dataclass

from rapport_notifications.domain.decision import CONTACT_ERASED
from rapport_notifications.service_layer import outcomes
from rapport_notifications.service_layer.ports import (
    Clock,
    Deliveries,
    ErasureRequests,
    Inbox,
    OutcomeOutbox,
)


@dataclass
class Eraser:
    requests: ErasureRequests
    deliveries: Deliveries
    outbox: OutcomeOutbox
    inbox: Inbox
    clock: Clock

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
            await self.outbox.drop(plan, [event])
        await self.deliveries.forget_personal_data(contact_id)
        await self.inbox.erase(contact_id)
        await self.requests.done(contact_id)
