"""Merging duplicates and erasing contacts: the use cases that touch several documents.

Without transactions each step is one conditional single-document write and every step is
idempotent, so repeating the request after a crash finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rapport_contacts.domain import merging, model
from rapport_contacts.domain.errors import ConcurrentUpdate, ContactNotFound
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.service_layer.contention import after_conflict
from rapport_contacts.service_layer.unit import (
    ATTEMPTS,
    Decision,
    Ports,
    change,
    envelope,
    load,
    to_the_millisecond,
)
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas.contacts import Actor


async def merge(
    ports: Ports,
    survivor_id: str,
    duplicate_id: str,
    *,
    actor: Actor | None = None,
    keep: Callable[[Contact], KeptAnswer | None] = lambda _: None,
) -> Contact:
    """Mark the duplicate merged (emitting ``ContactsMerged``), then the survivor absorbs it (a
    keyed request's answer is kept by that last write)."""
    survivor = await load(ports, survivor_id)
    now = ports.clock()

    def mark(duplicate: Contact) -> Decision:
        merged, events = merging.mark_merged(duplicate, survivor, now=now)
        return merged, [envelope(event, now, actor=actor) for event in events]

    duplicate = await change(ports, duplicate_id, mark)
    absorbed: list[Contact] = []

    def absorb(survivor: Contact) -> Decision:
        absorbed[:] = [merging.absorb(survivor, duplicate)]
        return absorbed[0], []

    return await change(ports, survivor_id, absorb, kept=lambda: keep(absorbed[0]))


async def erase(ports: Ports, contact_id: str, *, actor: Actor | None = None) -> ErasedContact:
    """Erase the contact and every contact merged into it; keys first, so none outlives them.
    Each erasure's ``ErasureCompleted`` follows (``service_layer.erasure``)."""
    found = await ports.contacts.get(contact_id)
    if found is None:
        raise ContactNotFound(contact_id)
    absorbed = list(found.absorbed) if isinstance(found, Contact) else []
    await ports.keys.release_all([contact_id, *absorbed])
    now = to_the_millisecond(ports.clock())  # ErasureCompleted repeats it from the store
    for absorbed_id in absorbed:
        await _erase_one(ports, absorbed_id, now, actor)
    return await _erase_one(ports, contact_id, now, actor)


async def _erase_one(
    ports: Ports, contact_id: str, now: datetime, actor: Actor | None
) -> ErasedContact:
    async with ports.locks.turn(contact_id):
        for attempt in range(ATTEMPTS):
            found = await ports.contacts.get(contact_id)
            if found is None:
                raise ContactNotFound(contact_id)
            erased, events, personal_keys = model.erase(found, now=now)
            if not events:
                return erased
            try:
                # Pending entries are dropped: after erasure nothing personal is published any
                # more, and every personal record ever published gets its tombstone.
                await ports.contacts.save(
                    erased,
                    [envelope(e, now, actor=actor) for e in events],
                    replace_outbox=True,
                    tombstones=personal_keys,
                )
            except ConcurrentUpdate:
                await after_conflict(attempt)
                continue
            ports.erasures_due.add(contact_id)  # ErasureCompleted once Kafka has them all
            return erased
        raise ConcurrentUpdate(contact_id)
