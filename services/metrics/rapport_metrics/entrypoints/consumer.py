"""The ``kpis`` consumer: the kit's batch consumer decodes, retries and dead-letters; this drops
republished duplicates (same event id at other coordinates, which needs the Kafka record's
headers) and hands the first sightings to the KPI pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rapport_kit.consuming import ApplyBatch, ReceivedEvent
from rapport_metrics.service_layer.pipeline import KpiPipeline
from rapport_schemas import topics

KPIS_CONSUMER = "kpis"
KPI_TOPICS = (topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS)


class Sightings(Protocol):
    """The kit's ``SeenEvents`` of this consumer."""

    async def first_sightings(self, events: Sequence[ReceivedEvent]) -> list[ReceivedEvent]: ...


def kpi_batches(seen: Sightings, pipeline: KpiPipeline) -> ApplyBatch:
    async def apply(batch: Sequence[ReceivedEvent]) -> None:
        await pipeline.fold([received.projected for received in await seen.first_sightings(batch)])

    return apply
