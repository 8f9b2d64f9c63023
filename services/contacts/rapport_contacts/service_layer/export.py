"""The data-subject export (GDPR art. 15 and 20): the contact's record plus its own data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.ports import ContactViewReader
from rapport_contacts.service_layer.unit import Ports, load, survivor_of
from rapport_contacts.views import personal_record


@dataclass(frozen=True)
class Export:
    """``record`` is the ``contact_records`` document with those of the contacts merged into it
    (empty while nothing is folded yet);
    ``moved_to`` is the survivor a merged contact's data now lives on (and nothing else is
    exported for it: its items are exported with the survivor, once)."""

    contact: Contact
    record: dict[str, Any] = field(default_factory=dict)
    moved_to: str | None = None


async def export(ports: Ports, records: ContactViewReader, contact_id: str) -> Export:
    """Raises ``ContactNotFound`` or, for an erased contact, ``ContactErasedError`` (nothing is
    held any more, so nothing is exported)."""
    contact = await load(ports, contact_id)
    if contact.merged_into is not None:
        survivor = await survivor_of(ports, contact)
        return Export(contact, moved_to=survivor.contact_id)
    found = [await records.get(held) for held in (contact_id, *contact.absorbed)]
    return Export(contact, personal_record.combined([r or {} for r in found]))
