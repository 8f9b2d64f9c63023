"""The contact directory as the dispatcher reads it (``views/directory.py`` folds it)."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.mongo import Document
from rapport_notifications.domain.directory import ContactCard

MAX_MERGE_HOPS = 5


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
