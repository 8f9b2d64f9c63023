"""Taking triggers in: store the deliveries they ask for and record erasure requests. Sending and
erasing are the worker's job (see ``worker.py``), so a slow provider never holds the partition and
offsets are committed once the requests are stored."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from rapport_notifications.domain.triggers import planned_deliveries
from rapport_notifications.service_layer.ports import Clock, Deliveries, ErasureRequests
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import ContactErased


@dataclass
class Intake:
    deliveries: Deliveries
    erasures: ErasureRequests
    wake: asyncio.Event  # set when there is work for the worker
    clock: Clock

    async def take_in(self, events: Sequence[CloudEvent[EventData]]) -> None:
        now = self.clock()
        plans = [plan for event in events for plan in planned_deliveries(event, now)]
        await self.deliveries.add(plans, now)
        erased = [e.data.contact_id for e in events if isinstance(e.data, ContactErased)]
        for contact_id in erased:
            await self.erasures.request(contact_id, now)
        if plans or erased:
            self.wake.set()
