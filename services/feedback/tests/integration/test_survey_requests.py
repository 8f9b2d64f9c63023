"""Survey decisions against the real broker and MongoDB-wire server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import InteractionKind
from rapport_schemas.feedback import DetractorDetected, SurveyRequested
from services.feedback.tests.integration.helpers import (
    T0,
    case_resolved,
    envelope,
    feedback_events,
    interaction,
    of_type,
    publish,
    registered,
)
from tests.support.services import serving

pytestmark = pytest.mark.integration


def detractors(count: int) -> Callable[[list[CloudEvent[EventData]]], bool]:
    """Done once ``count`` complaint detractors arrived: markers that earlier input was handled."""
    return lambda events: len(of_type(events, DetractorDetected)) >= count


async def test_a_case_resolved_delivered_twice_requests_one_csat_and_one_ces(
    service_env, infra, namespace, mongo_db
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    resolved = envelope(case_resolved("c1", "case-1"))
    async with serving(app):
        await publish(
            infra.kafka_bootstrap, namespace, envelope(registered("c1")), resolved, resolved
        )
        marker = envelope(interaction("c1", "i-complaint", InteractionKind.COMPLAINT))
        await publish(infra.kafka_bootstrap, namespace, marker)
        events = await feedback_events(infra.kafka_bootstrap, namespace, detractors(1))

    requests = of_type(events, SurveyRequested)
    assert sorted(r.kind.value for r in requests) == ["ces", "csat"]
    assert {r.case_id for r in requests} == {"case-1"}
    assert {r.trigger_event_id for r in requests} == {resolved.id}
    assert len(events) == 3
    assert await mongo_db["surveys"].count_documents({}) == 2
    stored = await mongo_db["surveys"].find_one({})
    assert stored is not None and "token" not in str(stored)
    assert all(r.event_type.endswith(".v2") and "token" not in r.model_dump() for r in requests)


async def test_the_nps_interval_and_the_fatigue_cap_hold_over_a_sequence_of_interactions(
    service_env, infra, namespace
) -> None:
    now = [T0]
    app = create_app(FeedbackSettings(**service_env), clock=lambda: now[0])
    bootstrap = infra.kafka_bootstrap
    async with serving(app):
        await publish(
            bootstrap,
            namespace,
            envelope(registered("c1")),
            envelope(interaction("c1", "i-1")),  # NPS: never asked before
            envelope(interaction("c1", "i-2")),  # none: NPS interval
            envelope(case_resolved("c1", "case-1")),  # CSAT only: fatigue cap 2 per 30 days
            envelope(case_resolved("c1", "case-2")),  # none: fatigue cap reached
            envelope(interaction("c1", "m-1", InteractionKind.COMPLAINT)),
        )
        first = await feedback_events(bootstrap, namespace, detractors(1))
        now[0] = T0 + timedelta(days=91)
        await publish(
            bootstrap,
            namespace,
            envelope(interaction("c1", "i-3")),  # NPS again: interval passed, cap window too
            envelope(interaction("c1", "i-4")),  # none: NPS interval restarted
            envelope(interaction("c1", "m-2", InteractionKind.COMPLAINT)),
        )
        everything = await feedback_events(bootstrap, namespace, detractors(2))

    asked = [(r.kind.value, r.interaction_id, r.case_id) for r in of_type(first, SurveyRequested)]
    assert asked == [("nps", "i-1", None), ("csat", None, "case-1")]
    later = of_type(everything, SurveyRequested)[2:]
    assert [(r.kind.value, r.interaction_id) for r in later] == [("nps", "i-3")]
