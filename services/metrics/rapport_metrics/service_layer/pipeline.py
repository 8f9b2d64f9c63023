"""The KPI pipeline: one batch through the read models in dependency order, then publish.

Order: directory → per-contact documents, awaiting inbound interactions and survey
request/answer pairs → the contacts' tallies of event-level counts → counters (reading the
snapshots just written, and the tallies' moves) → erasures → metric stream.
Each read model is idempotent by watermarks, and a later one reads only what an earlier one
already wrote, so a crash anywhere is repaired by the redelivery. Republished duplicates (same
event id at other coordinates) are dropped before, by the consumer (``entrypoints.consumer``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from rapport_kit.projection import Document, ProjectedEvent
from rapport_metrics.domain.context import Context
from rapport_metrics.domain.directory import Directory
from rapport_metrics.domain.documents import (
    AwaitingInbound,
    CustomerDocument,
    SurveyPair,
)
from rapport_metrics.service_layer.ports import ReadModels
from rapport_metrics.service_layer.publishing import PointPublisher
from rapport_metrics.views.counters import KeyedContributions
from rapport_metrics.views.customers import CUSTOMERS, CustomerActivity
from rapport_metrics.views.directory import DIRECTORY, SEGMENT_FACTS, ContactDirectory, Erasure
from rapport_metrics.views.responses import AwaitingResponses
from rapport_metrics.views.surveys import SurveyPairs
from rapport_metrics.views.tallies import TALLIES, ContactTallies
from rapport_schemas.contacts import ContactErased, ContactsMerged, InteractionLogged
from rapport_schemas.feedback import SurveyAnswered, SurveyRequested

MERGE_CHAIN_ROUNDS = 3


class KpiPipeline:
    def __init__(
        self,
        read_models: ReadModels,
        points: PointPublisher,
        *,
        zone: ZoneInfo,
        activity: frozenset[str],
        vocabularies: Mapping[str, frozenset[str]],
    ) -> None:
        self.read_models = read_models
        self.points = points
        self.zone = zone
        self.activity = activity
        self.vocabularies = vocabularies

    async def fold(self, fresh: Sequence[ProjectedEvent]) -> None:
        """Fold the first sightings of a batch's events and publish the points they changed."""
        models = self.read_models
        listed = await models.apply(ContactDirectory(), fresh)
        directory = await self._directory(fresh, listed)
        customers, awaiting, surveys = await asyncio.gather(
            models.apply(CustomerActivity(directory, self.zone, self.activity), fresh),
            models.apply(AwaitingResponses(), fresh),
            models.apply(SurveyPairs(directory), fresh),
        )
        context = Context(
            directory,
            self.zone,
            self.activity,
            customers=await self._customers(fresh, directory, customers),
            awaiting=await self._awaiting(fresh, awaiting),
            surveys=await self._surveys(fresh, surveys),
        )
        keyed = KeyedContributions(context)
        tallies = ContactTallies(directory, keyed.own)
        folded = await models.apply(tallies, fresh)
        ids = {key for r in fresh for key in tallies.keys(r)}
        keyed.with_tallies(await models.tallies(ids, folded))
        counters = await models.fold_counters(keyed, fresh)
        await self._erase(fresh)
        await self.points.publish(counters)

    async def _directory(
        self, batch: Sequence[ProjectedEvent], listed: dict[str, Document]
    ) -> Directory:
        ids = {str(getattr(r.data, "contact_id", "")) for r in batch}
        ids |= {r.data.survivor_id for r in batch if isinstance(r.data, ContactsMerged)}
        entries = await self.read_models.directory(ids, listed)
        for _ in range(MERGE_CHAIN_ROUNDS):
            survivors = {e["merged_into"] for e in entries.values() if "merged_into" in e}
            if not survivors - set(entries):
                break
            entries |= await self.read_models.directory(survivors - set(entries), {})
        return Directory(entries, self.vocabularies)

    async def _customers(
        self, batch: Sequence[ProjectedEvent], directory: Directory, folded: dict[str, Document]
    ) -> dict[str, CustomerDocument]:
        ids = {directory.resolve(str(getattr(r.data, "contact_id", ""))) for r in batch}
        ids |= {r.data.contact_id for r in batch if isinstance(r.data, ContactsMerged)}
        return await self.read_models.customers(ids, folded)

    async def _awaiting(
        self, batch: Sequence[ProjectedEvent], folded: dict[str, Document]
    ) -> dict[str, AwaitingInbound]:
        ids = {
            r.data.in_reply_to or r.data.interaction_id
            for r in batch
            if isinstance(r.data, InteractionLogged)
        }
        return await self.read_models.awaiting(ids, folded)

    async def _surveys(
        self, batch: Sequence[ProjectedEvent], folded: dict[str, Document]
    ) -> dict[str, SurveyPair]:
        ids = {
            r.data.survey_id for r in batch if isinstance(r.data, SurveyRequested | SurveyAnswered)
        }
        return await self.read_models.surveys(ids, folded)

    async def _erase(self, batch: Sequence[ProjectedEvent]) -> None:
        """Last, so this batch's earlier events were still segmented and counted."""
        erased = [r.data.contact_id for r in batch if isinstance(r.data, ContactErased)]
        if not erased:
            return
        await self.read_models.apply(
            Erasure(DIRECTORY, keep=(*SEGMENT_FACTS, "merged_into")), batch
        )
        for collection in (CUSTOMERS, TALLIES):
            await self.read_models.apply(Erasure(collection), batch)
        await self.read_models.forget_awaiting(erased)
