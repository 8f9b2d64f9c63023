"""The KPIs are a function of the facts, not of the order they are read in: the end-to-end KPI
history folded in its publishing order (as the live consumer reads it) and with the topics'
partitions interleaved at random (as a rebuild can read them) answer every KPI x window x
segment alike, and their non-empty counters are equal."""

from __future__ import annotations

import asyncio
import random
import zlib
from typing import Any

from rapport_kit.projection import ProjectedEvent
from rapport_metrics.domain.kpis import METRICS
from rapport_metrics.service_layer.reading import KpiQueries, SeriesQuery
from rapport_metrics.settings import MetricsSettings
from rapport_schemas.metrics import WindowSize
from services.metrics.tests.integration.kpi_dataset import LATE_RATES, RATES, Event, generate
from services.metrics.tests.unit.fakes import InMemoryCounterSeries
from services.metrics.tests.unit.in_memory import InMemoryKpis

PARTITIONS = 3


def placed(events: list[Event]) -> list[ProjectedEvent]:
    """Each event at the next offset of its topic's partition for its key."""
    offsets: dict[tuple[str, int], int] = {}
    result = []
    for event in events:
        where = (type(event.data).topic, zlib.crc32(event.partitionkey.encode()) % PARTITIONS)
        offsets[where] = offsets.get(where, -1) + 1
        result.append(ProjectedEvent(event, *where, offsets[where]))
    return result


def interleaved(events: list[ProjectedEvent], rng: random.Random) -> list[list[ProjectedEvent]]:
    """Every partition's events in its order, the partitions mixed in runs, in random batches."""
    queues: dict[tuple[str, int], list[ProjectedEvent]] = {}
    for event in events:
        queues.setdefault((event.topic, event.partition), []).append(event)
    order: list[ProjectedEvent] = []
    while remaining := [queue for queue in queues.values() if queue]:
        queue = rng.choice(remaining)
        run = rng.randint(1, 300)
        order += queue[:run]
        del queue[:run]
    batches, at = [], 0
    while at < len(order):
        size = rng.randint(50, 1000)
        batches.append(order[at : at + size])
        at += size
    return batches


def folded(batches: list[list[ProjectedEvent]]) -> InMemoryKpis:
    kpis = InMemoryKpis(MetricsSettings(exchange_rates={**RATES, **LATE_RATES}))
    for batch in batches:
        kpis.apply(batch)
    return kpis


def counts(kpis: InMemoryKpis) -> dict[tuple[str, str], dict[str, Any]]:
    """Every counter document's non-zero counts (a zero is the same as no count)."""
    found = {}
    for shelf, documents in kpis.read_models.shelves.items():
        for key, document in documents.items():
            kept = {n: v for n, v in document["counters"].items() if float(str(v)) != 0}
            if kept:
                found[("|".join(shelf), key)] = kept
    return found


def answers(kpis: InMemoryKpis, segments: set[tuple[str, str]]) -> dict[tuple[str, ...], Any]:
    queries = KpiQueries(InMemoryCounterSeries(kpis.read_models), kpis.rates, min_sample_size=30)

    async def every() -> dict[tuple[str, ...], Any]:
        result = {}
        for metric in METRICS:
            for window in WindowSize:
                for kind, value in segments:
                    query = SeriesQuery(metric, window, kind, value, None, None)
                    points = await queries.points(query)
                    result[(metric, window.value, kind, value)] = [p.model_dump() for p in points]
        return result

    return asyncio.run(every())


def test_every_kpi_is_the_same_whichever_order_the_partitions_are_read_in():
    events = placed(generate(late=True).events)
    live = folded([events[at : at + 1000] for at in range(0, len(events), 1000)])
    rebuilt = folded(interleaved(events, random.Random(3)))
    assert counts(rebuilt) == counts(live)
    segments = {
        (document["segment_kind"], document["segment_value"])
        for documents in live.read_models.shelves.values()
        for document in documents.values()
    }
    live_answers = answers(live, segments)
    assert sum(map(len, live_answers.values())) > 5000  # the history has points to compare
    assert answers(rebuilt, segments) == live_answers
