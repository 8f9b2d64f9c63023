"""Property: over random histories (any order, batches, merges, dormant customers returning),
every percentage KPI stays within 0–100 and churn is 100 − retention, in every window."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport_metrics.domain.kpis import METRICS, Counters, window_values
from rapport_metrics.domain.rates import RateTable
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactsMerged, Direction, InteractionKind
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested
from rapport_schemas.metrics import WindowSize
from services.metrics.tests.unit.in_memory import (
    T0,
    InMemoryKpis,
    interaction,
    purchase,
    received,
    registered,
)

CONTACTS = [f"c{n}" for n in range(6)]
RATES = RateTable("EUR", {"TRY": {date(2025, 1, 1): Decimal("0.03")}})
LIMITS = {"%": (0.0, 100.0), "points": (-100.0, 100.0)}

moments = st.integers(min_value=0, max_value=70 * 24).map(lambda hours: T0 + timedelta(hours=hours))
contacts = st.sampled_from(CONTACTS)


@st.composite
def events(draw: st.DrawFn, number: int) -> list[EventData]:
    """One fact, or a survey request with perhaps its answer (same topic and key: in order)."""
    contact, at, kind = draw(contacts), draw(moments), draw(st.integers(0, 5))
    if kind == 0:
        return [registered(contact, draw(st.sampled_from(["TR", "HU"])), at)]
    if kind <= 2:
        direction = draw(st.sampled_from(list(Direction)))
        topic = draw(st.sampled_from([InteractionKind.COMPLAINT, InteractionKind.SUPPORT]))
        return [interaction(contact, at, number=number, direction=direction, kind=topic)]
    if kind == 3:
        return [purchase(contact, at, "10", number=number)]
    if kind == 4:
        survivor = draw(contacts.filter(lambda other: other != contact))
        return [ContactsMerged(contact_id=contact, survivor_id=survivor, merged_at=at)]
    return survey(contact, at, f"s{number}", draw(st.none() | st.integers(0, 10)))


def survey(contact: str, at: datetime, survey_id: str, score: int | None) -> list[EventData]:
    request = SurveyRequested(
        survey_id=survey_id,
        contact_id=contact,
        kind=SurveyKind.NPS,
        token="t" * 20,
        expires_at=at + timedelta(days=7),
        language="tr",
        channel=Channel.EMAIL,
        requested_at=at,
    )
    if score is None:
        return [request]
    answer = SurveyAnswered(
        survey_id=survey_id,
        contact_id=contact,
        kind=SurveyKind.NPS,
        score=score,
        answered_at=at + timedelta(hours=30),
        requested_at=at,
    )
    return [request, answer]


@st.composite
def histories(draw: st.DrawFn) -> list[list[EventData]]:
    count = draw(st.integers(1, 60))
    history = realistic([event for number in range(count) for event in draw(events(number))])
    cuts = sorted(draw(st.sets(st.integers(0, len(history)), max_size=6)) | {0, len(history)})
    return [history[a:b] for a, b in itertools.pairwise(cuts) if history[a:b]]


def realistic(history: list[EventData]) -> list[EventData]:
    """As contacts publishes merges: a contact is absorbed once, never into an absorbed one."""
    absorbed: set[str] = set()
    kept = []
    for event in history:
        if isinstance(event, ContactsMerged):
            if {event.contact_id, event.survivor_id} & absorbed:
                continue
            absorbed.add(event.contact_id)
        kept.append(event)
    return kept


def all_series(kpis: InMemoryKpis) -> dict[tuple[str, str, str], dict[date, Counters]]:
    series: dict[tuple[str, str, str], dict[date, Counters]] = defaultdict(dict)
    for documents in kpis.read_models.shelves.values():
        for doc in documents.values():
            key = (
                doc["family"],
                doc["window"],
                f"{doc['segment_kind']}={doc['segment_value']}",
            )
            series[key][date.fromisoformat(doc["start"])] = doc["counters"]
    return series


def values_of(metric: str, windows: dict[date, Counters], size: WindowSize) -> dict:
    return window_values(METRICS[metric], windows, size, minimum=1, rates=RATES)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_every_percentage_stays_in_range_and_churn_complements_retention(batches):
    kpis = InMemoryKpis()
    for batch in batches:
        kpis.apply([received(event) for event in batch])
    for (family, window, segment), windows in all_series(kpis).items():
        size = WindowSize(window)
        for metric in (m for m, spec in METRICS.items() if spec.family == family):
            for kpi in values_of(metric, windows, size).values():
                low, high = LIMITS.get(kpi.unit, (0.0, float("inf")))
                for bound in (kpi.value, kpi.ci_low, kpi.ci_high):
                    assert bound is None or low <= bound <= high, (metric, window, segment, kpi)
        if family == "activity":
            retention = values_of("retention_rate", windows, size)
            churn = values_of("churn_rate", windows, size)
            for start, kept in retention.items():
                if kept.value is not None:
                    assert (
                        churn[start].value == 100 - kept.value
                        or abs(
                            churn[start].value + kept.value - 100  # type: ignore[operator]
                        )
                        < 1e-9
                    )
                    assert churn[start].n == kept.n
