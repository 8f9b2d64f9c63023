"""The read use cases against an in-memory view reader."""

from __future__ import annotations

import pytest

from rapport_feedback.service_layer.reading import MAX_MERGE_HOPS, FeedbackReads
from rapport_feedback.views.aggregates import interaction_key
from services.feedback.tests.unit.fakes import FakeFeedbackViews


@pytest.fixture
def views() -> FakeFeedbackViews:
    return FakeFeedbackViews()


async def test_a_merged_contact_shows_its_survivors_feedback(views: FakeFeedbackViews) -> None:
    views.by_contact_documents.update(
        {
            "c2": {"contact_id": "c2", "merged_into": "c1"},
            "c1": {"contact_id": "c1", "nps_category": "promoter"},
        }
    )
    reads = FeedbackReads(views)

    assert await reads.contact_feedback("c2") == {"contact_id": "c1", "nps_category": "promoter"}
    assert await reads.contact_feedback("c-unknown") is None


async def test_a_merge_chain_is_followed_a_bounded_number_of_hops(
    views: FakeFeedbackViews,
) -> None:
    for n in range(MAX_MERGE_HOPS + 2):
        views.by_contact_documents[f"c{n}"] = {"contact_id": f"c{n}", "merged_into": f"c{n + 1}"}

    shown = await FeedbackReads(views).contact_feedback("c0")

    assert shown == views.by_contact_documents[f"c{MAX_MERGE_HOPS - 1}"]


async def test_answers_about_interactions_and_cases_use_their_own_keys(
    views: FakeFeedbackViews,
) -> None:
    views.answers[interaction_key("interaction", "x")] = {"about": "interaction"}
    views.answers[interaction_key("case", "x")] = {"about": "case"}
    reads = FeedbackReads(views)

    assert await reads.interaction_answers("x") == {"about": "interaction"}
    assert await reads.case_answers("x") == {"about": "case"}
    assert await reads.case_answers("y") is None


async def test_response_rates_are_answered_over_requested_and_none_before_any_request(
    views: FakeFeedbackViews,
) -> None:
    views.rates = [
        {"kind": "nps", "segment": "country", "value": "TR", "requested": 4, "answered": 1},
        {"kind": "csat", "segment": "country", "value": "DE", "requested": 0, "answered": 0},
        {"kind": "nps", "segment": "all", "value": "all", "requested": 4, "answered": 1},
    ]

    rates = await FeedbackReads(views).response_rates(segment="country", kind=None)

    assert [(r["kind"], r["value"], r["rate"]) for r in rates] == [
        ("csat", "DE", None),
        ("nps", "TR", 0.25),
    ]
