"""The scheduled backlog: messages waiting for their delivery window right now."""

from __future__ import annotations

from dataclasses import dataclass

from rapport_notifications.service_layer.ports import Deliveries, DeliveryCounters


@dataclass
class Backlog:
    deliveries: Deliveries
    counters: DeliveryCounters

    async def measure(self) -> None:
        self.counters.show_backlog(await self.deliveries.scheduled_count())
