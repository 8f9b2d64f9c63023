"""Publishing ``MetricComputed`` for the series points a batch changed, once per point per batch.

Reliability without a second write per counter document: the pipeline publishes before it returns,
and the batch's offsets are committed only after that, so a crash after the counters were written
but before the values were on Kafka redelivers the batch, which republishes the same points (from
the stored counters). A repeat is harmless: the topic is a compacted latest-value stream keyed by
series point, and the event id derives from the value, so a repeated value carries the same id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.broker import acknowledged, enqueue
from rapport_kit.mongo import Document
from rapport_metrics.adapters.documents import SeriesId, read_collection, series_of
from rapport_metrics.adapters.exchange_rates import ExchangeRates
from rapport_metrics.adapters.gauges import HEADLINE_SEGMENTS, KpiGauges
from rapport_metrics.domain.counters import counters_collection
from rapport_metrics.domain.kpis import (
    FAMILIES,
    METRICS,
    Counters,
    affected_starts,
    metrics_of,
    window_values,
)
from rapport_metrics.domain.rates import RateTable
from rapport_metrics.domain.segments import SegmentKind
from rapport_metrics.domain.windows import SIZES, local_midnight, window_start
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import topics, wrap
from rapport_schemas.metrics import MetricComputed, WindowSize

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
SOURCE = "/rapport/metrics"
ID_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4f0b-9a57-1d2f0c6b9e11")
KINDS = [kind.value for kind in SegmentKind]


class MetricStream:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        broker: KafkaBroker,
        settings: MetricsSettings,
        gauges: KpiGauges,
        clock: Clock,
        *,
        rates: ExchangeRates,
    ) -> None:
        self.db = db
        self.rates = rates
        self.broker = broker
        self.settings = settings
        self.gauges = gauges
        self.clock = clock
        self.zone = ZoneInfo(settings.reporting_time_zone)

    async def publish(self, counters: Mapping[str, Document]) -> int:
        """The current values of every series point of ``counters`` (the counter documents a
        batch touched, as they now stand), with the history the metrics of their series need."""
        changed: dict[SeriesId, set[date]] = defaultdict(set)
        for document in counters.values():
            changed[series_of(document)].add(date.fromisoformat(document["start"]))
        stored: dict[SeriesId, dict[date, Counters]] = defaultdict(dict)
        stored.update(await self._history(changed))
        for document in counters.values():
            stored[series_of(document)][date.fromisoformat(document["start"])] = document[
                "counters"
            ]
        rates = await self.rates.table()
        computed = [
            value
            for series, starts in changed.items()
            for value in self._values(series, starts, stored[series], rates)
        ]
        await self._send(computed)
        return len(computed)

    async def republish_family(self, family: str) -> int:
        """Every point of every series of ``family`` again (after an exchange rate changed: the
        lifetime values re-valued; an unchanged point repeats its event id)."""
        rates = await self.rates.table()
        names = [counters_collection(family, size.value, kind) for size in SIZES for kind in KINDS]
        computed = [
            value
            for stored in await asyncio.gather(*(read_collection(self.db[n]) for n in names))
            for series, windows in stored.items()
            for value in self._values(series, set(windows), windows, rates)
        ]
        await self._send(computed)
        return len(computed)

    async def _history(self, changed: Iterable[SeriesId]) -> dict[SeriesId, dict[date, Counters]]:
        """Every window of the changed series whose metrics look at other windows (retention
        compares with the previous one, CLV runs through all), read concurrently."""
        wanted: dict[str, set[str]] = defaultdict(set)
        for family, window, kind, value in changed:
            if any(METRICS[m].history for m in metrics_of(family)):
                wanted[counters_collection(family, window, kind)].add(value)
        stored: dict[SeriesId, dict[date, Counters]] = {}
        for series in await asyncio.gather(
            *(read_collection(self.db[name], values) for name, values in wanted.items())
        ):
            stored |= series
        return stored

    async def refresh_gauges(self) -> None:
        """Headline gauges from the stored counters: at start-up and as windows roll over."""
        now, rates = self.clock(), await self.rates.table()
        for family in FAMILIES:
            for size in SIZES:
                current = window_start(now, size, self.zone)
                for kind in HEADLINE_SEGMENTS:
                    name = counters_collection(family, size.value, kind)
                    for series, windows in (await read_collection(self.db[name])).items():
                        if current in windows:
                            self._values(series, {current}, windows, rates)

    def _values(
        self,
        series: SeriesId,
        changed: set[date],
        windows: dict[date, Counters],
        rates: RateTable,
    ) -> list[MetricComputed]:
        family, window, kind, value = series
        size, now = WindowSize(window), self.clock()
        result = []
        for name in metrics_of(family):
            metric = METRICS[name]
            values = window_values(
                metric,
                windows,
                size,
                minimum=self.settings.min_sample_size,
                rates=rates,
            )
            for start in sorted(affected_starts(metric, changed, set(windows), size)):
                kpi = values[start]
                computed = MetricComputed(
                    metric=name,
                    window=size,
                    window_start=local_midnight(start, self.zone),
                    segment_kind=kind,
                    segment_value=value,
                    value=kpi.value,
                    sample_size=kpi.n,
                    ci_low=kpi.ci_low,
                    ci_high=kpi.ci_high,
                    too_few=kpi.too_few,
                    unit=kpi.unit,
                    computed_at=now,
                    unconverted=dict(kpi.unconverted) if kpi.unconverted else None,
                )
                if start == window_start(now, size, self.zone):
                    self.gauges.observe(computed)
                result.append(computed)
        return result

    async def _send(self, computed: list[MetricComputed]) -> None:
        """Queued on the producer in order, acknowledged together (``acks=all``)."""
        topic = self.settings.topic(topics.METRICS)
        acknowledgements = []
        for data in computed:
            key = data.partition_key()
            fingerprint = f"{key}|{data.value}|{data.sample_size}|{data.ci_low}|{data.ci_high}" + (
                f"|{sorted(data.unconverted.items())}" if data.unconverted else ""
            )
            event_id = str(uuid.uuid5(ID_NAMESPACE, fingerprint))
            event = wrap(data, source=SOURCE, event_id=event_id, time=data.computed_at)
            value, encoded_key = event.model_dump_json().encode(), key.encode()
            acknowledgements.append(await enqueue(self.broker, value, topic=topic, key=encoded_key))
        await acknowledged(acknowledgements)
