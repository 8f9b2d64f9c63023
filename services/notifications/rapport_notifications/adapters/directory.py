"""The contact directory read model: a kit projection folded from ``rapport.contacts.events``."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, ProjectedEvent
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
MAX_MERGE_HOPS = 5
_EVENTS = (ContactRegistered, ContactUpdated, ContactConsentChanged, ContactsMerged, ContactErased)


class DirectoryProjection:
    collection = DIRECTORY

    def keys(self, received: ProjectedEvent) -> list[str]:
        data = received.data
        return [str(data.contact_id)] if isinstance(data, _EVENTS) else []

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        card = ContactCard.model_validate({**(state or {}), "contact_id": key})
        return _evolved(card, received).model_dump(mode="json")


def _evolved(card: ContactCard, received: ProjectedEvent) -> ContactCard:
    data = received.data
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


class MongoDirectory:
    """Reads cards, following merges to the surviving contact."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def card(self, contact_id: str) -> ContactCard | None:
        for _ in range(MAX_MERGE_HOPS):
            document = await self.collection.find_one({"_id": contact_id})
            if document is None:
                return None
            card = ContactCard.model_validate(document)
            if card.merged_into is None or card.erased:
                return card
            contact_id = card.merged_into
        return None
