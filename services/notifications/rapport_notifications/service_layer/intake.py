"""The consumer step: fold the contact directory, store the deliveries triggers ask for and
record erasure requests. Sending and erasing are the worker's job (see ``worker.py``), so a slow
provider never holds the partition and offsets are committed once the requests are stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.projection_store import ProjectionConsumer
from rapport_notifications.adapters.deliveries import MongoDeliveries
from rapport_notifications.adapters.erasures import MongoErasureRequests
from rapport_notifications.domain.triggers import planned_deliveries
from rapport_schemas.contacts import ContactErased


@dataclass
class Intake:
    directory: ProjectionConsumer
    deliveries: MongoDeliveries
    erasures: MongoErasureRequests
    wake: asyncio.Event
    clock: Callable[[], datetime]

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        await self.directory(batch)
        now = self.clock()
        plans = [plan for received in batch for plan in planned_deliveries(received.event, now)]
        await self.deliveries.add(plans, now)
        erased = [r.data.contact_id for r in batch if isinstance(r.data, ContactErased)]
        for contact_id in erased:
            await self.erasures.request(contact_id, now)
        if plans or erased:
            self.wake.set()
