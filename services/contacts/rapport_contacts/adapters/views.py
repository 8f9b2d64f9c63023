"""Reading the 360° view read model (written only by the projection consumer)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from rapport_contacts.views.contact_view import ContactView
from rapport_kit.mongo import Document
from rapport_kit.projection import VERSION, WATERMARKS


class ContactViews:
    """The ``ContactViewReader`` port on MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection = db[ContactView.collection]

    async def get(self, contact_id: str) -> Document | None:
        return await self.collection.find_one(
            {"_id": contact_id}, {"_id": 0, WATERMARKS: 0, VERSION: 0}
        )
