"""Reading the 360° view read model (written only by the projection consumer)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from rapport_contacts.views import timeline
from rapport_contacts.views.contact_view import ContactView
from rapport_contacts.views.personal import PersonalPart
from rapport_kit.mongo import Document
from rapport_kit.projection import VERSION, WATERMARKS

HIDDEN = {"_id": 0, WATERMARKS: 0, VERSION: 0}


class ContactViews:
    """The ``ContactViewReader`` port on MongoDB (the 360° view; ``get`` also reads another
    per-contact read model, such as the export's ``contact_records``)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        collection: str = ContactView.collection,
        personal: str = PersonalPart.collection,
    ):
        self.collection = db[collection]
        self.personal_parts = db[personal]

    async def get(self, contact_id: str) -> Document | None:
        return await self.collection.find_one({"_id": contact_id}, HIDDEN)

    async def pages(self, page_ids: list[str]) -> list[Document]:
        if not page_ids:
            return []
        return await self.collection.find({"_id": {"$in": page_ids}}, HIDDEN).to_list()

    async def personal(self, contact_ids: list[str]) -> dict[str, Document]:
        found = self.personal_parts.find({"_id": {"$in": contact_ids}}, HIDDEN | {"_id": 1})
        return {part.pop("_id"): part async for part in found}

    async def delete_erased_pages(self) -> int:
        """The sweep of ``views.timeline``: the month pages an erasure listed, then the list (on
        the view's version, like the projection's own writes, so neither loses the other's)."""
        deleted = 0
        erased = {"status": "erased", "erased_pages": {"$exists": True, "$ne": []}}
        async for view in self.collection.find(erased, {"erased_pages": 1, VERSION: 1}):
            pages = [p for p in view["erased_pages"] if timeline.is_page(p)]
            deleted += (await self.collection.delete_many({"_id": {"$in": pages}})).deleted_count
            await self.collection.update_one(
                {"_id": view["_id"], VERSION: view.get(VERSION, 0)},
                {"$set": {"erased_pages": []}, "$inc": {VERSION: 1}},
            )
        return deleted
