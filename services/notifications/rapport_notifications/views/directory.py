"""The contact directory read model: a kit projection folded from ``rapport.contacts.events``;
its documents are ``ContactCard``s (``domain/directory.py``)."""

from __future__ import annotations

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_notifications.domain import directory
from rapport_notifications.domain.directory import ContactCard
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactErased,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
)

DIRECTORY = "directory"
_EVENTS = (ContactRegistered, ContactUpdated, ContactConsentChanged, ContactsMerged, ContactErased)


class DirectoryProjection:
    collection = DIRECTORY

    def keys(self, projected: ProjectedEvent) -> list[str]:
        data = projected.data
        return [str(data.contact_id)] if isinstance(data, _EVENTS) else []

    def evolve(
        self, state: Document | None, projected: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        card = ContactCard.model_validate({**(state or {}), "contact_id": key})
        return _evolved(card, projected).model_dump(mode="json")


def _evolved(card: ContactCard, projected: ProjectedEvent) -> ContactCard:
    data = projected.data
    match data:
        case ContactRegistered():
            card = directory.with_profile(card, data.profile, data.registered_at)
            return directory.with_consents(card, data.consents)
        case ContactUpdated():
            return directory.with_profile(card, data.profile, data.updated_at)
        case ContactConsentChanged():
            return directory.with_consents(card, (data.consent,))
        case ContactsMerged():
            return directory.merged_into(card, data.survivor_id)
        case ContactErased():
            return directory.erased(card)
    return card
