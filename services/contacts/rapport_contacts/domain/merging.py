"""Merging a duplicate into the contact that survives.

Two documents change, without a transaction, so each step is idempotent and the order is chosen
so a crash between them is repaired by simply repeating the merge: first the duplicate is marked
merged (with ``ContactsMerged`` in its outbox), then the survivor takes over its open cases and
running SLA clocks.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from rapport_contacts.domain.errors import InvalidMerge
from rapport_contacts.domain.model import Contact, ContactStatus
from rapport_schemas.contacts import ContactsMerged


def mark_merged(
    duplicate: Contact, survivor: Contact, *, now: datetime
) -> tuple[Contact, list[ContactsMerged]]:
    """Step 1: the duplicate points to the survivor; repeating it emits nothing new."""
    if duplicate.contact_id == survivor.contact_id:
        raise InvalidMerge("a contact cannot be merged into itself")
    survivor.ensure_active()
    if duplicate.merged_into == survivor.contact_id:
        return duplicate, []
    duplicate.ensure_active()
    merged = dataclasses.replace(
        duplicate, status=ContactStatus.MERGED, merged_into=survivor.contact_id
    )
    event = ContactsMerged(
        contact_id=duplicate.contact_id, survivor_id=survivor.contact_id, merged_at=now
    )
    return merged, [event]


def absorb(survivor: Contact, duplicate: Contact) -> Contact:
    """Step 2: the survivor takes over the duplicate's open cases and running clocks."""
    if duplicate.merged_into != survivor.contact_id:
        raise InvalidMerge("the duplicate is not merged into this contact")
    if duplicate.contact_id in survivor.absorbed:
        return survivor
    known_cases = {c.case_id for c in survivor.open_cases}
    known_clocks = {c.interaction_id for c in survivor.clocks}
    return dataclasses.replace(
        survivor,
        # Contacts the duplicate had absorbed come along: erasing the survivor erases them too.
        absorbed=(*survivor.absorbed, duplicate.contact_id, *duplicate.absorbed),
        open_cases=survivor.open_cases
        + tuple(c for c in duplicate.open_cases if c.case_id not in known_cases),
        clocks=survivor.clocks
        + tuple(c for c in duplicate.clocks if c.interaction_id not in known_clocks),
    )
