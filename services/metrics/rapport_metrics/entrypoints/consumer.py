"""The ``kpis`` consumer: one batch through the read models in dependency order, then publish.

Order: drop republished duplicates → directory → per-contact documents, awaiting inbound
interactions and survey request/answer pairs → counters (reading the snapshots just written) →
erasures → metric stream. Each store
is idempotent by watermarks, and a later store reads only what an earlier one already wrote, so a
crash anywhere is repaired by the redelivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.mongo import Document
from rapport_kit.projection import ProjectedEvent
from rapport_kit.projection_store import ProjectionStore, SeenEvents
from rapport_metrics.adapters.documents import load
from rapport_metrics.adapters.metric_stream import MetricStream
from rapport_metrics.domain.context import Context
from rapport_metrics.domain.counters import KeyedContributions, KpiCounters
from rapport_metrics.domain.customers import CustomerActivity
from rapport_metrics.domain.directory import ContactDirectory, Directory, Erasure
from rapport_metrics.domain.responses import AwaitingResponses
from rapport_metrics.domain.surveys import SurveyPairs
from rapport_metrics.settings import MetricsSettings
from rapport_schemas.contacts import (
    ContactErased,
    ContactsMerged,
    InteractionLogged,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyRequested

MERGE_CHAIN_ROUNDS = 3


class KpiPipeline:
    def __init__(
        self, db: AsyncDatabase[Document], settings: MetricsSettings, stream: MetricStream
    ) -> None:
        self.db = db
        self.seen = SeenEvents(db, "kpis")
        self.stream = stream
        self.zone = ZoneInfo(settings.reporting_time_zone)
        self.vocabularies = settings.segment_vocabularies
        self.activity: frozenset[str] = frozenset(settings.activity)

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        fresh = [r.projected for r in await self.seen.first_sightings(batch)]
        listed = (await ProjectionStore(self.db, ContactDirectory()).apply(fresh)).documents
        directory = await self._directory(fresh, listed)
        customers, awaiting, surveys = await asyncio.gather(
            ProjectionStore(self.db, CustomerActivity(directory, self.zone, self.activity)).apply(
                fresh
            ),
            ProjectionStore(self.db, AwaitingResponses()).apply(fresh),
            ProjectionStore(self.db, SurveyPairs(directory)).apply(fresh),
        )
        context = Context(
            directory,
            self.zone,
            self.activity,
            customers=await self._customers(fresh, directory, customers.documents),
            awaiting=await self._awaiting(fresh, awaiting.documents),
            surveys=await self._surveys(fresh, surveys.documents),
        )
        keyed = KeyedContributions(context)
        # Counter collections are independent documents: write them concurrently (a failure
        # fails the batch, which is redelivered; what did get written is skipped by watermarks).
        counters: dict[str, Document] = {}
        for applied in await asyncio.gather(
            *(
                ProjectionStore(self.db, KpiCounters(keyed, collection)).apply(fresh)
                for collection in keyed.collections(fresh)
            )
        ):
            counters |= applied.documents
        await self._erase(fresh)
        await self.stream.publish(counters)

    async def _directory(
        self, batch: Sequence[ProjectedEvent], listed: dict[str, Document]
    ) -> Directory:
        ids = {str(getattr(r.data, "contact_id", "")) for r in batch}
        ids |= {r.data.survivor_id for r in batch if isinstance(r.data, ContactsMerged)}
        entries = await load(self.db[ContactDirectory.collection], ids, listed)
        for _ in range(MERGE_CHAIN_ROUNDS):
            survivors = {e["merged_into"] for e in entries.values() if "merged_into" in e}
            if not survivors - set(entries):
                break
            entries |= await load(self.db[ContactDirectory.collection], survivors - set(entries))
        return Directory(entries, self.vocabularies)

    async def _customers(
        self, batch: Sequence[ProjectedEvent], directory: Directory, folded: dict[str, Document]
    ) -> dict[str, Document]:
        ids = {directory.resolve(str(getattr(r.data, "contact_id", ""))) for r in batch}
        ids |= {r.data.contact_id for r in batch if isinstance(r.data, ContactsMerged)}
        return await load(self.db[CustomerActivity.collection], ids, folded)

    async def _awaiting(
        self, batch: Sequence[ProjectedEvent], folded: dict[str, Document]
    ) -> dict[str, Document]:
        ids = {
            r.data.in_reply_to or r.data.interaction_id
            for r in batch
            if isinstance(r.data, InteractionLogged)
        }
        return await load(self.db[AwaitingResponses.collection], ids, folded)

    async def _surveys(
        self, batch: Sequence[ProjectedEvent], folded: dict[str, Document]
    ) -> dict[str, Document]:
        ids = {
            r.data.survey_id for r in batch if isinstance(r.data, SurveyRequested | SurveyAnswered)
        }
        return await load(self.db[SurveyPairs.collection], ids, folded)

    async def _erase(self, batch: Sequence[ProjectedEvent]) -> None:
        """Last, so this batch's earlier events were still segmented and counted."""
        erased = [r.data.contact_id for r in batch if isinstance(r.data, ContactErased)]
        if not erased:
            return
        for collection in (ContactDirectory.collection, CustomerActivity.collection):
            await ProjectionStore(self.db, Erasure(collection)).apply(batch)
        await self.db[AwaitingResponses.collection].delete_many({"contact_id": {"$in": erased}})
