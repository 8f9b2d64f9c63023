"""Counters of the KPI read models folded in memory (see ``in_memory``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactsMerged, Direction, InteractionKind, SlaBreached
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from services.metrics.tests.unit.in_memory import (
    T0,
    InMemoryKpis,
    interaction,
    purchase,
    received,
    registered,
)


def test_a_late_event_folds_into_its_own_window():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1"))])
    kpis.apply([received(interaction("c1", T0 + timedelta(days=30), kind=InteractionKind.OTHER))])
    kpis.apply([received(interaction("c1", T0, number=2, kind=InteractionKind.COMPLAINT))])
    once = {"n": 1, "inbound": 1, "complaints": 1}
    assert kpis.counters("interactions|month|2025-11-01|all=all") == once
    assert kpis.counters("interactions|month|2025-12-01|all=all") == {**once, "complaints": 0}
    assert kpis.counters("interactions|day|2025-11-03|country=TR") == once


def test_a_complaint_rate_counts_inbound_contacts_only():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1"))])
    kpis.apply([received(interaction("c1", T0, kind=InteractionKind.COMPLAINT))])
    reply = {"direction": Direction.OUTBOUND, "kind": InteractionKind.COMPLAINT}
    kpis.apply([received(interaction("c1", T0, number=2, **reply))])
    assert kpis.counters("interactions|day|2025-11-03|all=all") == {
        "n": 2,
        "inbound": 1,
        "complaints": 1,
    }


def test_redelivery_changes_nothing():
    kpis = InMemoryKpis()
    batch = [received(registered("c1")), received(purchase("c1", T0, "100"))]
    kpis.apply(batch)
    before = kpis.counters("purchases|month|2025-11-01|all=all")
    kpis.apply(batch)
    assert (
        kpis.counters("purchases|month|2025-11-01|all=all")
        == before
        == {"purchases": 1, "amount|TRY|2025-11-03": "100", "buyers": 1, "first_buyers": 1}
    )


def test_a_merge_counts_the_person_once_in_the_survivors_segments():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1", "TR")), received(registered("c2", "HU"))])
    kpis.apply(
        [
            received(purchase("c1", T0, "10")),
            received(purchase("c2", T0, "20")),
            received(interaction("c2", T0 + timedelta(days=40))),
        ]
    )
    month = "purchases|month|2025-11-01"
    assert kpis.counters(f"{month}|all=all")["buyers"] == 2
    merged = ContactsMerged(contact_id="c2", survivor_id="c1", merged_at=T0)
    kpis.apply([received(merged), received(purchase("c2", T0, "30", number=2))])
    assert kpis.counters(f"{month}|all=all") == {
        "purchases": 3,
        "amount|TRY|2025-11-03": "60",
        "buyers": 1,
        "repeat_buyers": 1,
        "first_buyers": 1,
    }
    assert kpis.counters(f"{month}|country=HU")["buyers"] == 0
    assert kpis.counters(f"{month}|country=TR")["repeat_buyers"] == 1
    # December activity moved from HU to the survivor in TR, once.
    # c2 was active in November and December: retained in December, moved to TR as well.
    assert kpis.counters("activity|month|2025-12-01|country=HU") == {"active": 0, "retained": 0}
    assert kpis.counters("activity|month|2025-12-01|country=TR") == {"active": 1, "retained": 1}
    assert kpis.counters("activity|month|2025-11-01|all=all") == {"active": 1}


@pytest.mark.parametrize("order", ["in_order", "late_first"])
def test_retention_counts_the_previous_windows_cohort_returning(order):
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1")), received(registered("c2"))])
    # Events get their offsets when received, in the order they are applied.
    november = [interaction("c1", T0), interaction("c2", T0, number=2)]
    december = [interaction("c1", T0 + timedelta(days=30), number=3)]
    dormant = [interaction("c3", T0 + timedelta(days=30), number=4)]  # not active in November
    batches = [november, december + dormant]
    for batch in batches if order == "in_order" else reversed(batches):
        kpis.apply([received(event) for event in batch])
    assert kpis.counters("activity|month|2025-12-01|all=all") == {"active": 2, "retained": 1}
    assert kpis.counters("activity|month|2025-11-01|all=all") == {"active": 2}


def test_a_merge_removes_the_absorbed_registration_and_its_referral():
    kpis = InMemoryKpis()
    referred = registered("c2", "HU").model_copy(update={"referred_by": "c1"})
    kpis.apply([received(registered("c1", "TR")), received(referred)])
    assert kpis.counters("registrations|day|2025-11-03|all=all") == {"n": 2, "referred": 1}
    merged = received(ContactsMerged(contact_id="c2", survivor_id="c1", merged_at=T0))
    kpis.apply([merged])
    kpis.apply([merged])  # redelivered
    assert kpis.counters("registrations|day|2025-11-03|all=all") == {"n": 1, "referred": 0}
    assert kpis.counters("registrations|day|2025-11-03|country=HU") == {"n": 0, "referred": 0}


def test_first_response_time_and_sla_compliance():
    kpis = InMemoryKpis()
    due = T0 + timedelta(hours=8)
    kpis.apply(
        [
            received(registered("c1")),
            received(interaction("c1", T0, awaits_response=True, response_due_at=due)),
            received(interaction("c1", T0, number=2, awaits_response=True, response_due_at=due)),
        ]
    )
    reply = {"direction": Direction.OUTBOUND, "agent_id": "a1"}
    kpis.apply(
        [
            received(
                interaction("c1", T0 + timedelta(hours=2), number=3, in_reply_to="i-c1-1", **reply)
            ),
            received(
                interaction("c1", T0 + timedelta(hours=3), number=4, in_reply_to="i-c1-1", **reply)
            ),
            received(
                SlaBreached(
                    interaction_id="i-c1-2",
                    contact_id="c1",
                    channel=Channel.EMAIL,
                    received_at=T0,
                    due_at=due,
                )
            ),
        ]
    )
    counters = kpis.counters("responses|day|2025-11-03|agent=a1")
    assert counters == {"n": 1, "time_sum": 7200.0, "time_sq": 7200.0**2, "in_time": 1}
    assert kpis.counters("responses|day|2025-11-03|all=all")["breached"] == 1


def test_survey_answers_count_by_kind():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1"))])
    answers = [
        SurveyAnswered(
            survey_id=f"s{score}", contact_id="c1", kind=SurveyKind.NPS, score=score, answered_at=T0
        )
        for score in (10, 9, 8, 6, 0)
    ]
    kpis.apply([received(answer) for answer in answers])
    assert kpis.counters("nps|week|2025-11-03|country=TR") == {
        "n": 5,
        "promoters": 2,
        "detractors": 2,
    }
