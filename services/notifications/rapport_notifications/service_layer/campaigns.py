"""Campaign use cases: create one, report its progress, and launch the due ones.

Launching stores one delivery per member of the audience; from there the dispatcher decides and
sends each one like any customer message. Any replica may launch a campaign, even two at once:
a delivery's key (campaign, template, recipient) is stored once, so a member gets one delivery.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from rapport_notifications.domain.campaign_progress import Progress, progress
from rapport_notifications.domain.campaigns import Campaign, CampaignRequest, delivery_for
from rapport_notifications.service_layer.ports import (
    Audiences,
    CampaignOutcomes,
    Campaigns,
    Clock,
    Deliveries,
)

# A campaign id from the client's Idempotency-Key: a retried POST finds the same campaign.
CAMPAIGN_NAMESPACE = uuid.UUID("0d4c9a43-2f57-4c1e-8f0a-5b1f6c3e9a21")


class CampaignConflict(Exception):
    """The Idempotency-Key was used before for a different campaign."""


@dataclass
class CampaignDesk:
    campaigns: Campaigns
    audiences: Audiences
    deliveries: Deliveries
    outcomes: CampaignOutcomes
    clock: Clock
    wake: asyncio.Event  # the worker launches due campaigns; a new one may be due now

    async def create(self, request: CampaignRequest, idempotency_key: str | None) -> Campaign:
        campaign_id = (
            str(uuid.uuid5(CAMPAIGN_NAMESPACE, idempotency_key))
            if idempotency_key
            else str(uuid.uuid4())
        )
        draft = Campaign(campaign_id=campaign_id, request=request, created_at=self.clock())
        stored = await self.campaigns.add(draft)
        if stored.request != request:
            raise CampaignConflict(campaign_id)
        self.wake.set()
        return stored

    async def report(self, campaign_id: str) -> tuple[Campaign, Progress] | None:
        campaign = await self.campaigns.get(campaign_id)
        if campaign is None:
            return None
        return campaign, progress(await self.outcomes.outcomes(campaign_id))

    async def launch_due(self) -> int:
        """The worker's round: each due campaign's deliveries stored, then marked launched."""
        due = await self.campaigns.due(self.clock())
        for campaign in due:
            await self._launch(campaign)
        return len(due)

    async def _launch(self, campaign: Campaign) -> None:
        async for members in self.audiences.members(campaign.request.audience):
            now = self.clock()
            await self.deliveries.add([delivery_for(campaign, m, now) for m in members], now)
            self.wake.set()
        await self.campaigns.launched(campaign.campaign_id, self.clock())
