"""Campaigns in MongoDB: the ``campaigns`` collection, audiences read from the contact directory
(``views/directory.py``) joined with the NPS answers (``views/nps.py``), and progress read from
the campaign's deliveries.

The worker's round finds due campaigns through wake-ups (``rapport_kit.wakeups``), not a scan
every second: a campaign stored here is noted at its ``due_at`` (once written: a round that read
it before would take it for launched and forget it) and read by ``_id`` then, and the launch
(conditional on the campaign still scheduled) forgets it. Campaigns stored by a peer that
crashed are found by the safety sweep once a minute in ``scheduled_campaigns`` (kept like
``open_deliveries``: an entry inserted before the campaign, deleted after its launch); the whole
collection is scanned only once, at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.mongo import Document
from rapport_kit.wakeups import Wakeups
from rapport_notifications.adapters.open_deliveries import OpenDeliveries
from rapport_notifications.domain.campaigns import (
    Audience,
    Campaign,
    CampaignState,
    NpsCategory,
)
from rapport_notifications.domain.delivery import State
from rapport_notifications.domain.directory import ContactCard

CAMPAIGNS = "campaigns"
SCHEDULED_CAMPAIGNS = "scheduled_campaigns"
SCHEDULED = CampaignState.SCHEDULED.value
DUE_PAGE = 20
AUDIENCE_PAGE = 500
# Stored campaigns change only their state; their wording is read once per process.
_WORDING_CACHE = 256


class MongoCampaigns:
    def __init__(self, collection: AsyncCollection[Document], dues: Wakeups | None = None) -> None:
        self.collection = collection
        # When each campaign this process stored is due.
        self.dues = dues if dues is not None else Wakeups()  # (an empty one is falsy)
        self.scheduled = OpenDeliveries(collection.database[SCHEDULED_CAMPAIGNS])
        # Whether this process made its full scan (at start); the later sweeps read the index.
        self.scanned = False

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("state", ASCENDING), ("due_at", ASCENDING)])

    async def add(self, campaign: Campaign) -> Campaign:
        document = {
            "_id": campaign.campaign_id,
            "request": campaign.request.model_dump(mode="json"),
            "created_at": campaign.created_at,
            "state": campaign.state.value,
            "launched_at": campaign.launched_at,
            "due_at": campaign.due_at,
        }
        await self.scheduled.opened([campaign.campaign_id], campaign.created_at)
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError:
            stored = await self.get(campaign.campaign_id)
            if stored is None:
                raise
            campaign = stored
        # Noted once written: a round reading it before would take it for launched.
        if campaign.state is CampaignState.SCHEDULED:
            self.dues.note(campaign.campaign_id, campaign.due_at)
        return campaign

    async def get(self, campaign_id: str) -> Campaign | None:
        document = await self.collection.find_one({"_id": campaign_id})
        return None if document is None else _campaign(document)

    async def due(self, now: datetime) -> list[Campaign]:
        """The due campaigns the wake-ups know of, read by ``_id``, the earliest first."""
        await self._scanned_if_due(now)
        keys = [key for key, _ in self.dues.due(now, limit=DUE_PAGE)]
        if not keys:
            return []
        found = await self.collection.find({"_id": {"$in": keys}}).to_list()
        for key in set(keys) - {d["_id"] for d in found if d["state"] == SCHEDULED}:
            self.dues.forget(key)  # launched by a peer
        due = [d for d in found if d["state"] == SCHEDULED]
        return [_campaign(d) for d in sorted(due, key=lambda d: d["due_at"])]

    async def launched(self, campaign_id: str, now: datetime) -> None:
        await self.collection.update_one(
            {"_id": campaign_id, "state": SCHEDULED},
            {"$set": {"state": CampaignState.LAUNCHED.value, "launched_at": now}},
        )
        self.dues.forget(campaign_id)
        await self.scheduled.closed([campaign_id])

    async def _scanned_if_due(self, now: datetime) -> None:
        """The safety sweep, when due: every campaign not launched, its due time noted (at start
        from a scan of the whole collection, which also indexes what it finds)."""
        if not self.dues.full_scan_due():
            return
        mark, fields = self.dues.mark(), {"state": 1, "due_at": 1}
        if self.scanned:
            live = await self.scheduled.swept(self.collection, fields, live={SCHEDULED}, now=now)
        else:
            live = await self.collection.find({"state": SCHEDULED}, fields).to_list()
            await self.scheduled.opened((d["_id"] for d in live), now)
            self.scanned = True
        self.dues.reset([(d["_id"], d["due_at"], "") for d in live], mark=mark)


def _campaign(document: Document) -> Campaign:
    fields = ("request", "created_at", "state", "launched_at")
    return Campaign.model_validate(
        {"campaign_id": document["_id"]} | {f: document[f] for f in fields}
    )


class CachedCampaigns:
    """The campaign a delivery belongs to, for rendering: its wording never changes."""

    def __init__(self, campaigns: MongoCampaigns) -> None:
        self.campaigns = campaigns
        self._known: dict[str, Campaign] = {}

    async def get(self, campaign_id: str) -> Campaign | None:
        if campaign_id not in self._known:
            campaign = await self.campaigns.get(campaign_id)
            if campaign is None:
                return None
            if len(self._known) >= _WORDING_CACHE:
                self._known.pop(next(iter(self._known)))
            self._known[campaign_id] = campaign
        return self._known[campaign_id]


class MongoAudiences:
    def __init__(
        self, directory: AsyncCollection[Document], nps: AsyncCollection[Document]
    ) -> None:
        self.directory = directory
        self.nps = nps

    async def members(self, audience: Audience) -> AsyncIterator[list[str]]:
        """Pages of member ids; the database narrows by country, the domain decides."""
        # Registered contacts only: a personal record or tombstone read before (or without) a
        # registration leaves a card with no profile (``ContactCard.is_complete``).
        query: dict[str, Any] = {
            "erased": {"$ne": True},
            "merged_into": None,
            "profile_at": {"$ne": None},
        }
        if audience.countries:
            query["country"] = {"$in": list(audience.countries)}
        page: list[ContactCard] = []
        async for document in self.directory.find(query).sort("_id", ASCENDING):
            page.append(ContactCard.model_validate(document))
            if len(page) == AUDIENCE_PAGE:
                yield await self._members(audience, page)
                page = []
        if page:
            yield await self._members(audience, page)

    async def _members(self, audience: Audience, cards: list[ContactCard]) -> list[str]:
        categories = (
            await self._categories([card.contact_id for card in cards]) if audience.nps else {}
        )
        return [
            card.contact_id
            for card in cards
            if audience.includes(card, categories.get(card.contact_id))
        ]

    async def _categories(self, contact_ids: list[str]) -> dict[str, NpsCategory]:
        cursor = self.nps.find({"_id": {"$in": contact_ids}, "category": {"$exists": True}})
        return {document["_id"]: NpsCategory(document["category"]) async for document in cursor}


class MongoCampaignOutcomes:
    """A campaign's deliveries are those its id triggered (``domain/campaigns.delivery_for``)."""

    def __init__(self, deliveries: AsyncCollection[Document]) -> None:
        self.deliveries = deliveries

    async def ensure_indexes(self) -> None:
        await self.deliveries.create_index([("trigger_event_id", ASCENDING)])

    async def outcomes(self, campaign_id: str) -> list[tuple[str, str | None]]:
        fields = {"state": 1, "failure": 1, "postponed": 1}
        cursor = self.deliveries.find({"trigger_event_id": campaign_id}, fields)
        return [(document["state"], _reason(document)) async for document in cursor]


def _reason(document: Document) -> str | None:
    failed = document["state"] == State.FAILED.value
    reason = document.get("failure") if failed else document.get("postponed")
    return None if reason is None else str(reason)
