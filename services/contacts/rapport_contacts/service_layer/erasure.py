"""After an erasure: ``ErasureCompleted`` once Kafka has every tombstone, and segment rolls.

The tombstones leave the erased contact's outbox only once Kafka acknowledged them (``acks=all``),
so an erased contact whose outbox is empty has all of them on the personal topic: its
``ErasureCompleted`` is then one more conditional write of the erased document, published through
the outbox like any event. Whether it is still due is kept in that document
(``completion_pending``), so a crash in between only delays it: the first round after a start
looks at every pending erasure, later rounds at those erased (or found waiting) here, with a full
look again every ``full_interval`` for a peer replica that stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from rapport_contacts.domain import model
from rapport_contacts.domain.errors import ConcurrentUpdate
from rapport_contacts.service_layer.ports import PendingErasure, PersonalTopic
from rapport_contacts.service_layer.unit import Ports, envelope, to_the_millisecond

log = logging.getLogger(__name__)

PAGE = 200
FULL_INTERVAL_SECONDS = 60.0


@dataclass
class ErasureCompletion:
    """The periodic step that writes each due ``ErasureCompleted``."""

    ports: Ports
    full_interval: float = FULL_INTERVAL_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    next_full: float | None = None  # None: the first round looks at every pending erasure

    async def complete_once(self) -> int:
        """One round; returns how many erasures it completed."""
        now = self.monotonic()
        due = self.ports.erasures_due
        if self.next_full is None or now >= self.next_full:
            self.next_full = now + self.full_interval
            pending = await self.ports.contacts.pending_erasures(None, limit=PAGE)
        elif due:
            ids = sorted(due)[:PAGE]
            pending = await self.ports.contacts.pending_erasures(ids, limit=PAGE)
            due.difference_update(ids)  # those still waiting are added back
        else:
            return 0
        completed = 0
        for erasure in pending:
            completed += await self._complete(erasure)
        if completed:
            log.info("erasures completed", extra={"fields": {"completed": completed}})
        return completed

    async def _complete(self, erasure: PendingErasure) -> int:
        erased = erasure.erased
        if not erasure.acknowledged:  # its tombstones are still on their way: next round
            self.ports.erasures_due.add(erased.contact_id)
            return 0
        now = to_the_millisecond(self.ports.clock())
        done, events = model.complete_erasure(erased, now=now, deadline=self.ports.erasure_deadline)
        try:
            await self.ports.contacts.save(done, [envelope(e, now) for e in events])
        except ConcurrentUpdate:  # written meanwhile (a peer completed it): look again
            self.ports.erasures_due.add(erased.contact_id)
            return 0
        return len(events)


@dataclass(frozen=True)
class SegmentRolls:
    """Kafka compacts only closed segments and closes the active one only on an append older than
    ``segment.ms``: a tombstone in a quiet partition would wait for the next record there, without
    bound. While an erasure may still have records to compact (one within the erasure deadline),
    each partition gets a roll tombstone every ``segment.ms``, so its dirty segment rolls."""

    ports: Ports
    topic: PersonalTopic

    async def roll_once(self) -> int:
        """Appends the roll tombstones if an erasure is recent; returns how many."""
        since = self.ports.clock() - self.ports.erasure_deadline
        if not await self.ports.contacts.erased_since(since):
            return 0
        return await self.topic.roll()
