"""The contact directory read model: a kit projection folded from ``rapport.contacts.events`` and
the profiles' records on ``rapport.contacts.personal`` (name, e-mail, phone); its documents are
``ContactCard``s (``domain/directory.py``)."""

from __future__ import annotations

from rapport_kit.projection import Document, Lookup, ProjectedEvent, Tombstone
from rapport_notifications.domain import directory
from rapport_notifications.domain.directory import ContactCard
from rapport_schemas import topics
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
)

DIRECTORY = "directory"
_EVENTS = (
    ContactRegistered,
    ContactUpdated,
    ContactConsentChanged,
    ContactsMerged,
    ContactErased,
    ContactPersonalData,
)


def erased_profile(projected: ProjectedEvent) -> str | None:
    """The contact whose profile record a tombstone erases (its key is the bare contact id;
    the tombstones of summaries and comments name no card)."""
    data = projected.data
    if isinstance(data, Tombstone) and data.personal_topic == topics.CONTACTS_PERSONAL:
        return data.contact_id if data.item is None else None
    return None


class DirectoryProjection:
    collection = DIRECTORY

    def keys(self, projected: ProjectedEvent) -> list[str]:
        data = projected.data
        if isinstance(data, _EVENTS):
            return [str(data.contact_id)]
        erased = erased_profile(projected)
        return [erased] if erased is not None else []

    def evolve(
        self, state: Document | None, projected: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        card = ContactCard.model_validate({**(state or {}), "contact_id": key})
        data = projected.data
        if erased_profile(projected) is not None:
            card = directory.without_personal_data(card)
        elif isinstance(data, ContactPersonalData):
            card = directory.with_personal_data(card, data)
        else:
            card = _evolved(card, projected)
        return card.model_dump(mode="json")


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
