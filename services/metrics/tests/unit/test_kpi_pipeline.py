"""The KPI pipeline use case on in-memory fakes: counters folded, points published, redelivery,
a late exchange rate, a merge, a late registration and a segment change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from rapport_kit.projection import ProjectedEvent
from rapport_metrics.adapters.metric_stream import event_id
from rapport_metrics.service_layer.reading import ExchangeRateDesk
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased, ContactsMerged, ContactUpdated, InteractionKind
from rapport_schemas.envelope import wrap
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from services.metrics.tests.unit.in_memory import (
    T0,
    InMemoryKpis,
    interaction,
    purchase,
    received,
    registered,
)

DAY = "2025-11-03"


def test_an_event_folds_into_its_counters_and_publishes_its_points():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1", country="TR"))])
    kpis.apply([received(interaction("c1", T0, kind=InteractionKind.COMPLAINT))])
    once = {"n": 1, "inbound": 1, "complaints": 1}
    for segment in ("all=all", "country=TR", "channel=email", "language=tr", "region=west"):
        assert kpis.counters(f"interactions|day|{DAY}|{segment}") == once
    published = kpis.sink.points()
    point = published[f"complaint_rate|day|{DAY}|country=TR"]
    assert (point.value, point.sample_size, point.too_few, point.unit) == (100.0, 1, True, "%")
    assert {key.split("|")[1] for key in published if key.startswith("complaint_rate|")} == {
        "day",
        "week",
        "month",
    }
    assert all(
        key.startswith(("complaint_rate|", "retention_rate|", "churn_rate|")) for key in published
    )
    assert f"retention_rate|day|{DAY}|all=all" in published  # the contact became active
    assert {g.partition_key() for g in kpis.gauges.observed} >= {
        f"complaint_rate|day|{DAY}|all=all",
        f"complaint_rate|day|{DAY}|country=TR",
    }


def test_a_redelivered_batch_changes_nothing_and_repeats_its_event_ids():
    kpis = InMemoryKpis()
    batch = [received(registered("c1")), received(purchase("c1", T0, "100"))]
    kpis.apply(batch)
    stored, first = kpis.read_models.snapshot(), kpis.sink.points()
    kpis.apply(batch)
    assert kpis.read_models.snapshot() == stored
    again = kpis.sink.points()
    assert {k: event_id(v) for k, v in again.items()} == {k: event_id(v) for k, v in first.items()}


async def test_a_late_rate_revalues_lifetime_value():
    kpis = InMemoryKpis()
    batch = [received(registered("c1")), received(purchase("c1", T0, "200", currency="CHF"))]
    await kpis.pipeline.fold(batch)
    before = kpis.sink.points()["clv|month|2025-11-01|all=all"]
    assert (before.value, before.sample_size, before.unconverted) == (
        0.0,
        1,
        {"CHF": Decimal("200")},
    )
    await ExchangeRateDesk(kpis.rates, kpis.points).record("CHF", date(2025, 1, 1), Decimal("1.05"))
    after = kpis.sink.points()["clv|month|2025-11-01|all=all"]
    assert (after.value, after.sample_size, after.unconverted) == (210.0, 1, None)
    assert event_id(after) != event_id(before)


def test_a_merge_moves_every_count_to_the_survivor():
    kpis = InMemoryKpis()
    later = T0 + timedelta(hours=1)
    kpis.apply([received(registered("c1")), received(registered("c2"))])
    kpis.apply([received(purchase("c1", T0, "10")), received(purchase("c2", later, "20"))])
    month = "2025-11-01"
    assert kpis.counters(f"registrations|month|{month}|all=all")["n"] == 2
    assert kpis.counters(f"activity|month|{month}|all=all") == {"active": 2}
    kpis.apply([received(ContactsMerged(contact_id="c2", survivor_id="c1", merged_at=later))])
    assert kpis.counters(f"registrations|month|{month}|all=all") == {"n": 1, "referred": 0}
    assert kpis.counters(f"activity|month|{month}|all=all") == {"active": 1}
    purchases = kpis.counters(f"purchases|month|{month}|all=all")
    assert (purchases["buyers"], purchases["repeat_buyers"], purchases["first_buyers"]) == (1, 1, 1)
    clv = kpis.sink.points()[f"clv|month|{month}|all=all"]
    assert clv.sample_size == 1  # one paying contact, whose revenue is both purchases


def test_a_late_registration_and_a_segment_change_move_every_event_count():
    kpis = InMemoryKpis()
    complaint = received(interaction("c1", T0, kind=InteractionKind.COMPLAINT))
    kpis.apply([complaint])
    once = {"n": 1, "inbound": 1, "complaints": 1}
    assert kpis.counters(f"interactions|day|{DAY}|all=all") == once
    assert kpis.counters(f"interactions|day|{DAY}|country=TR") == {}
    kpis.apply([received(registered("c1", country="TR"))])
    assert kpis.counters(f"interactions|day|{DAY}|country=TR") == once
    assert kpis.counters(f"interactions|day|{DAY}|all=all") == once
    profile = registered("c1", country="DE").profile
    updated = ContactUpdated(
        contact_id="c1", profile=profile, changed_fields=("country",), updated_at=T0
    )
    kpis.apply([received(updated)])
    nothing = {"n": 0, "inbound": 0, "complaints": 0}
    assert kpis.counters(f"interactions|day|{DAY}|country=TR") == nothing
    assert kpis.counters(f"interactions|day|{DAY}|country=DE") == once
    assert kpis.counters(f"registrations|day|{DAY}|country=DE") == {"n": 1, "referred": 0}
    assert kpis.sink.points()[f"complaint_rate|day|{DAY}|country=TR"].sample_size == 0
    stored = kpis.read_models.snapshot()
    kpis.apply([complaint])  # redelivered: counted once, where the contact is now
    assert kpis.read_models.snapshot() == stored


def test_an_event_read_after_its_contacts_erasure_counts_where_it_did_before():
    """A rebuild reads the topics interleaved: a survey request on the feedback topic can be folded
    after the contact's erasure on the contacts topic, where live folded it before."""
    request = SurveyRequested(
        survey_id="s1",
        contact_id="c1",
        kind=SurveyKind.CSAT,
        expires_at=T0 + timedelta(days=7),
        language="tr",
        channel=Channel.EMAIL,
        requested_at=T0,
        country="TR",
    )
    asked = ProjectedEvent(wrap(request, source="/test"), "feedback", 0, 0)
    counted = []
    for erased_first in (False, True):
        kpis = InMemoryKpis()
        registration = received(registered("c1", country="TR"))
        erasure = received(ContactErased(contact_id="c1", erased_at=T0 + timedelta(hours=2)))
        kpis.apply([registration])
        for batch in ([erasure], [asked]) if erased_first else ([asked], [erasure]):
            kpis.apply(batch)
        counted.append(kpis.counters(f"surveys|day|{DAY}|language=tr"))
        tombstone = kpis.read_models.collections["directory"]["c1"]
        assert tombstone.get("erased") is True, tombstone
        assert {"registered_at", "referred"}.isdisjoint(tombstone)
    assert counted[0] == counted[1] != {}
