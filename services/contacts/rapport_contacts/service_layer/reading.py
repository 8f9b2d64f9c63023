"""Queries: a segment's contacts page by page, and the 360° view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.ports import ContactViewReader, SegmentFilter
from rapport_contacts.service_layer.unit import Ports


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


async def read_view(views: ContactViewReader, contact_id: str) -> dict[str, Any] | None:
    """The 360° view, or ``None`` while no event about the contact has been folded."""
    return await views.get(contact_id)
