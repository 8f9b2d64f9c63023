"""Queries: a segment's contacts page by page, a look-up by a unique value, the 360° view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport_contacts.domain.duplicates import UniqueKey, unique_keys
from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.ports import ContactViewReader, SegmentFilter
from rapport_contacts.service_layer.unit import Ports, survivor_of


@dataclass(frozen=True)
class ContactsPage:
    contacts: list[Contact]
    next_cursor: str | None


async def list_segment(
    ports: Ports, segment: SegmentFilter, *, limit: int, after: str | None
) -> ContactsPage:
    """Active contacts in a stable order; countries are stored upper case and tags lower case."""
    normalized = SegmentFilter(
        country=segment.country.upper() if segment.country else None,
        industry=segment.industry,
        region=segment.region,
        tag=segment.tag.lower() if segment.tag else None,
    )
    found = await ports.contacts.in_segment(normalized, limit=limit, after=after)
    next_cursor = found[-1].contact_id if len(found) == limit else None
    return ContactsPage(found, next_cursor)


async def find_by(ports: Ports, unique: UniqueKey) -> Contact | None:
    """The contact holding an e-mail, phone or external id, through the uniqueness index (one
    ``_id`` read, which FerretDB serves from its index); a merged contact answers with its
    survivor; an erased one holds no key any more. A claim whose contact does not (or no longer)
    carry the value is a registration in flight or a leftover: not found."""
    claim = await ports.keys.holder(unique.key)
    if claim is None:
        return None
    holder = await ports.contacts.get(claim.contact_id)
    if not isinstance(holder, Contact) or unique not in unique_keys(holder.profile):
        return None
    return await survivor_of(ports, holder)


async def read_view(views: ContactViewReader, contact_id: str) -> dict[str, Any] | None:
    """The 360° view, or ``None`` while no event about the contact has been folded."""
    return await views.get(contact_id)
