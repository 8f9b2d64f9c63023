"""How long event webhook deliveries and their events are kept: the replay horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rapport_kit.clock import Clock
from rapport_notifications.service_layer.ports import WebhookDeliveries, WebhookEvents

PRUNE_PAGE = 1000  # events looked at per round; the next round takes the rest


@dataclass
class WebhookRetention:
    events: WebhookEvents
    deliveries: WebhookDeliveries
    keep_for: timedelta
    clock: Clock

    async def prune(self) -> None:
        """Forget finished deliveries enqueued before the horizon, then the events no open
        delivery needs any more (one waiting on a disabled subscription keeps its event)."""
        cutoff = self.clock() - self.keep_for
        await self.deliveries.forget_finished(cutoff)
        old = await self.events.stored_before(cutoff, limit=PRUNE_PAGE)
        if old:
            needed = await self.deliveries.open_event_ids(old)
            await self.events.forget([event_id for event_id in old if event_id not in needed])
