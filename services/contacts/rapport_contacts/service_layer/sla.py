"""The durable SLA scheduler: finds clocks past their deadline and publishes ``SlaBreached``.

Durable because the clocks live in the contact documents (a restart loses none), and each breach
is one conditional write that marks the clock breached *and* appends the event to the outbox:
after a restart the clock is already marked, so the breach is never emitted twice; a write that
lost a race (the contact was answered meanwhile) is simply decided again next round.
"""

from __future__ import annotations

from rapport_contacts.domain.errors import ConcurrentUpdate
from rapport_contacts.domain.interactions import breach_event_id, breach_overdue
from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.ports import SlaCounters
from rapport_contacts.service_layer.unit import Ports, envelope
from rapport_schemas.contacts import Actor, ActorKind

SCHEDULER = Actor(kind=ActorKind.SYSTEM, id="sla-scheduler")


class SlaScheduler:
    def __init__(
        self, ports: Ports, metrics: SlaCounters, *, interval: float, batch_size: int = 200
    ) -> None:
        self.ports = ports
        self.metrics = metrics
        self.interval = interval
        self.batch_size = batch_size

    async def check_once(self) -> int:
        now = self.ports.clock()
        overdue = await self.ports.contacts.overdue(now, limit=self.batch_size)
        breached = 0
        for contact in overdue:
            breached += await self._breach(contact)
        self.metrics.count_check()
        return breached

    async def _breach(self, contact: Contact) -> int:
        now = self.ports.clock()
        changed, events = breach_overdue(contact, now=now)
        if not events:
            return 0
        envelopes = [
            envelope(e, now, event_id=breach_event_id(e.interaction_id), actor=SCHEDULER)
            for e in events
        ]
        try:
            await self.ports.contacts.save(changed, envelopes)
        except ConcurrentUpdate:
            return 0
        for event in events:
            self.metrics.count_breach(event.channel.value)
        return len(events)
