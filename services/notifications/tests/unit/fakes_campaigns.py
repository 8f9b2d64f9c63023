"""In-memory implementations of the campaign and pressure-budget ports (beside ``fakes.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from rapport_notifications.domain.campaigns import Audience, Campaign, CampaignState, NpsCategory
from rapport_notifications.domain.pressure import (
    Entry,
    PressureBudget,
    Refusal,
    released,
    reserved,
)
from services.notifications.tests.unit.fakes import FakeDeliveries, FakeDirectory


class FakePressureBudgets:
    """The budget documents in a dict; one process, so no race to guard against here."""

    def __init__(self, budget: PressureBudget) -> None:
        self.budget = budget
        self.entries: dict[str, tuple[Entry, ...]] = {}

    async def reserve(self, contact_id: str, wanted: Entry) -> Refusal | None:
        outcome = reserved(self.entries.get(contact_id, ()), wanted, self.budget)
        if not isinstance(outcome, tuple):
            return outcome
        self.entries[contact_id] = outcome
        return None

    async def release(self, contact_id: str, key: str) -> None:
        self.entries[contact_id] = released(self.entries.get(contact_id, ()), key)

    def held(self, contact_id: str) -> list[str]:
        return [entry.key for entry in self.entries.get(contact_id, ())]


class FakeCampaigns:
    def __init__(self) -> None:
        self.stored: dict[str, Campaign] = {}

    async def add(self, campaign: Campaign) -> Campaign:
        return self.stored.setdefault(campaign.campaign_id, campaign)

    async def get(self, campaign_id: str) -> Campaign | None:
        return self.stored.get(campaign_id)

    async def due(self, now: datetime) -> list[Campaign]:
        return [
            c
            for c in self.stored.values()
            if c.state is CampaignState.SCHEDULED and c.due_at <= now
        ]

    async def launched(self, campaign_id: str, now: datetime) -> None:
        campaign = self.stored[campaign_id]
        self.stored[campaign_id] = campaign.model_copy(
            update={"state": CampaignState.LAUNCHED, "launched_at": now}
        )


class FakeAudiences:
    """Members from the fake directory's cards and a dict of NPS categories, two per page."""

    def __init__(self, directory: FakeDirectory, nps: dict[str, NpsCategory]) -> None:
        self.directory = directory
        self.nps = nps

    async def members(self, audience: Audience) -> AsyncIterator[list[str]]:
        ids = sorted(self.directory.documents)
        cards = [c for i in ids if (c := await self.directory.card(i)) and c.contact_id == i]
        chosen = [c.contact_id for c in cards if audience.includes(c, self.nps.get(c.contact_id))]
        for start in range(0, len(chosen), 2):
            yield chosen[start : start + 2]


class FakeCampaignOutcomes:
    def __init__(self, deliveries: FakeDeliveries) -> None:
        self.deliveries = deliveries

    async def outcomes(self, campaign_id: str) -> list[tuple[str, str | None]]:
        return [
            (str(d["state"]), d.get("failure") or d.get("postponed"))
            for d in self.deliveries.documents.values()
            if d["plan"].trigger_event_id == campaign_id
        ]
