"""The series points a batch changed, computed from the stored counters and published once per
point per batch.

Reliability without a second write per counter document: the pipeline publishes before it returns,
and the batch's offsets are committed only after that, so a crash after the counters were written
but before the values were on Kafka redelivers the batch, which republishes the same points (from
the stored counters). A repeat is harmless: the topic is a compacted latest-value stream keyed by
series point, and the event id derives from the value (``adapters.metric_stream``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from rapport_metrics.domain.documents import CounterDocument
from rapport_metrics.domain.kpis import (
    FAMILIES,
    METRICS,
    Counters,
    affected_starts,
    metrics_of,
    window_values,
    with_data,
)
from rapport_metrics.domain.rates import RateTable
from rapport_metrics.domain.segments import SegmentKind
from rapport_metrics.domain.windows import SIZES, local_midnight, window_start
from rapport_metrics.service_layer.ports import (
    Clock,
    CounterSeries,
    ExchangeRateBook,
    KpiObserver,
    MetricSink,
)
from rapport_metrics.views.counters import SeriesId, Shelf, series_of
from rapport_schemas.metrics import MetricComputed, WindowSize

KINDS = [kind.value for kind in SegmentKind]


class PointPublisher:
    def __init__(
        self,
        counters: CounterSeries,
        rates: ExchangeRateBook,
        sink: MetricSink,
        gauges: KpiObserver,
        clock: Clock,
        *,
        zone: ZoneInfo,
        min_sample_size: int,
    ) -> None:
        self.counters = counters
        self.rates = rates
        self.sink = sink
        self.gauges = gauges
        self.clock = clock
        self.zone = zone
        self.min_sample_size = min_sample_size

    async def publish(self, counters: Mapping[str, CounterDocument]) -> int:
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
        await self.sink.send(computed)
        return len(computed)

    async def republish_family(self, family: str, *, with_counts_only: bool = False) -> int:
        """Every point of every series of ``family`` again (after an exchange rate changed: the
        lifetime values re-valued; an unchanged point repeats its event id). After a rebuild,
        ``with_counts_only``: a window of zeros exists or not by the order the facts were read
        in (``with_data``), so the stream keeps what the live run last said of it."""
        rates = await self.rates.table()
        shelves = [(family, size.value, kind) for size in SIZES for kind in KINDS]
        computed = [
            value
            for stored in await asyncio.gather(*(self.counters.shelf(s) for s in shelves))
            for series, windows in stored.items()
            for kept in (with_data(windows) if with_counts_only else windows,)
            for value in self._values(series, set(kept), kept, rates)
        ]
        await self.sink.send(computed)
        return len(computed)

    async def _history(self, changed: Iterable[SeriesId]) -> dict[SeriesId, dict[date, Counters]]:
        """Every window of the changed series whose metrics look at other windows (retention
        compares with the previous one, CLV runs through all), read concurrently."""
        wanted: dict[Shelf, set[str]] = defaultdict(set)
        for family, window, kind, value in changed:
            if any(METRICS[m].history for m in metrics_of(family)):
                wanted[(family, window, kind)].add(value)
        stored: dict[SeriesId, dict[date, Counters]] = {}
        for series in await asyncio.gather(
            *(self.counters.shelf(shelf, values) for shelf, values in wanted.items())
        ):
            stored |= series
        return stored

    async def refresh_gauges(self) -> None:
        """Headline gauges from the stored counters: at start-up and as windows roll over."""
        now, rates = self.clock(), await self.rates.table()
        for family in FAMILIES:
            for size in SIZES:
                current = window_start(now, size, self.zone)
                for kind in sorted(self.gauges.segment_kinds):
                    shelf = (family, size.value, kind)
                    for series, windows in (await self.counters.shelf(shelf)).items():
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
                minimum=self.min_sample_size,
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
