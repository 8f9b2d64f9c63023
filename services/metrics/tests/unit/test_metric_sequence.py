"""A series point's later computation supersedes an earlier one: its ``sequence`` says so to a
subscriber comparing strings, in the point's own stream."""

from __future__ import annotations

from datetime import timedelta

from rapport_metrics.adapters.metric_stream import computation_sequence
from services.metrics.tests.unit.in_memory import T0, InMemoryKpis, received, registered


def test_a_later_computation_of_a_point_has_a_greater_sequence():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1", country="TR"))])
    point = next(iter(kpis.sink.points().values()))
    sequences = [
        computation_sequence(point.model_copy(update={"computed_at": T0 + later}))
        for later in (timedelta(0), timedelta(microseconds=1), timedelta(days=400))
    ]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert {len(s) for s in sequences} == {16} and all(s.isdigit() for s in sequences)
