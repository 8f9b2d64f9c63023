"""Registering and updating contacts, with unique e-mail/phone and likely-duplicate hints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapport_contacts.domain import model, profiles
from rapport_contacts.domain.duplicates import UniqueKey, likely_duplicate_key, unique_keys
from rapport_contacts.domain.errors import (
    ConcurrentUpdate,
    ContactErasedError,
    ContactNotFound,
    DuplicateContact,
    UnknownReference,
)
from rapport_contacts.domain.model import Contact, ErasedContact
from rapport_contacts.service_layer.contention import after_conflict
from rapport_contacts.service_layer.ports import KeyClaim
from rapport_contacts.service_layer.unit import (
    ATTEMPTS,
    Ports,
    load,
    publications,
    survivor_of,
)
from rapport_kit.clock import utc_now
from rapport_kit.idempotency import KeptAnswer
from rapport_schemas.common import Consent
from rapport_schemas.contacts import Actor, ContactProfile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registration:
    contact: Contact
    likely_duplicates: list[str]


async def register(
    ports: Ports,
    profile: ContactProfile,
    consents: tuple[Consent, ...],
    *,
    referred_by: str | None,
    contact_id: str | None = None,
    actor: Actor | None = None,
    keep: Callable[[Registration], KeptAnswer | None] = lambda _: None,
) -> Registration:
    """Claim the unique keys first, so a refused duplicate leaves nothing behind.

    ``contact_id`` is chosen by the caller for a keyed request (a retry then finds it); ``keep``
    makes that request's answer, stored by the same write as the contact."""
    if referred_by is not None:
        try:
            await load(ports, referred_by)
        except (ContactNotFound, ContactErasedError):
            raise UnknownReference("referred_by", referred_by) from None
    now = ports.clock()
    contact, events = model.register_contact(
        profile, consents, referred_by=referred_by, now=now, contact_id=contact_id
    )
    await claim_unique(ports, unique_keys(profile), contact.contact_id)
    key = likely_duplicate_key(profile)
    likely = (
        await ports.contacts.likely_duplicates(key, excluding=contact.contact_id) if key else []
    )
    registered = Registration(contact, likely)
    published = publications(ports, events, now, profile=profile, actor=actor)
    await ports.contacts.add(contact, published, kept=keep(registered))
    return registered


async def update(
    ports: Ports, contact_id: str, patch: dict[str, Any], *, actor: Actor | None = None
) -> Contact:
    """Apply a partial profile; a new e-mail/phone is claimed before, the old released after."""
    async with ports.locks.turn(contact_id):
        for attempt in range(ATTEMPTS):
            contact = await load(ports, contact_id)
            contact.ensure_active()
            profile = profiles.patched(contact.profile, patch)
            before, after = unique_keys(contact.profile), unique_keys(profile)
            claimed = await claim_unique(ports, [k for k in after if k not in before], contact_id)
            updated, events = model.update_profile(contact, profile, now=ports.clock())
            if not events:
                return contact
            try:
                now = ports.clock()
                published = publications(ports, events, now, profile=profile, actor=actor)
                await ports.contacts.save(updated, published)
            except ConcurrentUpdate:
                await ports.keys.release(claimed, contact_id)
                await after_conflict(attempt)
                continue
            await ports.keys.release([k.key for k in before if k not in after], contact_id)
            return updated
        raise ConcurrentUpdate(contact_id)


async def claim_unique(ports: Ports, keys: list[UniqueKey], contact_id: str) -> list[str]:
    """Claim every key for ``contact_id`` or none: raises ``DuplicateContact``."""
    claimed: list[str] = []
    try:
        for unique in keys:
            if await _claim(ports, unique, contact_id):
                claimed.append(unique.key)
    except DuplicateContact:
        await ports.keys.release(claimed, contact_id)
        raise
    return claimed


async def _claim(ports: Ports, unique: UniqueKey, contact_id: str) -> bool:
    now = utc_now()  # real time, not the domain clock: a claim's age tells a request in flight
    held = await ports.keys.claim(unique.key, contact_id, now)
    if held is None:
        return True
    if held.contact_id == contact_id:
        return False
    owner = await _live_owner(ports, held, unique)
    if owner is None and await ports.keys.take_over(held, contact_id, now):
        log.info("took over a stale uniqueness key", extra={"fields": {"field": unique.field}})
        return True
    raise DuplicateContact(unique.field, owner or held.contact_id)


async def _live_owner(ports: Ports, held: KeyClaim, unique: UniqueKey) -> str | None:
    """Who really holds the key; ``None`` if it is stale (left by a crash or a past profile)."""
    holder = await ports.contacts.get(held.contact_id)
    if isinstance(holder, Contact) and unique in unique_keys(holder.profile):
        return (await survivor_of(ports, holder)).contact_id
    in_flight = utc_now() - held.claimed_at < ports.claim_grace
    if in_flight and not isinstance(holder, ErasedContact):
        return held.contact_id
    return None
