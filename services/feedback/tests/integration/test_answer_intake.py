"""Answer intake over HTTP against the real broker and MongoDB-wire server."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings
from rapport_schemas import decode, topics
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyKind, SurveyRequested
from services.feedback.tests.integration.helpers import (
    T0,
    answer_link_token,
    case_resolved,
    envelope,
    feedback_events,
    interaction,
    of_type,
    publish,
    registered,
)
from tests.support.kafka import eventually, read_until, values
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def requested_tokens(infra, namespace, count: int) -> dict[SurveyKind, str]:  # type: ignore[no-untyped-def]
    events = await feedback_events(
        infra.kafka_bootstrap,
        namespace,
        lambda events: len(of_type(events, SurveyRequested)) >= count,
    )
    return {r.kind: answer_link_token(r) for r in of_type(events, SurveyRequested)}


async def test_an_nps_detractor_answer_flows_to_survey_answered_and_detractor_detected(
    service_env, infra, namespace
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    async with serving(app) as client:
        await publish(
            infra.kafka_bootstrap,
            namespace,
            envelope(registered("c1")),
            envelope(interaction("c1", "i-1")),
        )
        tokens = await requested_tokens(infra, namespace, 1)
        answer = {"token": tokens[SurveyKind.NPS], "score": 4, "comment": "Çok bekledim"}
        response = await client.post("/surveys/answers", json=answer)
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == "nps"

        events = await feedback_events(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, DetractorDetected))
        )

        async def category() -> object:
            read = await client.get("/contacts/c1/feedback")
            return read.json().get("nps_category") if read.status_code == 200 else None

        assert await eventually(category) == "detractor"
        expected = [
            {
                "kind": "nps",
                "segment": "country",
                "value": "TR",
                "requested": 1,
                "answered": 1,
                "rate": 1.0,
            }
        ]

        async def rates() -> object:
            read = await client.get(
                "/surveys/response-rates", params={"kind": "nps", "segment": "country"}
            )
            return read.json()

        await eventually(rates, expected=expected)
        exposed = (await client.get("/metrics")).text
        assert 'rapport_feedback_detractors_total{reason="nps_detractor"} 1.0' in exposed
        assert 'rapport_feedback_surveys_requested_total{kind="nps"} 1.0' in exposed

    [answered] = of_type(events, SurveyAnswered)
    assert (answered.score, answered.has_comment, answered.interaction_id) == (4, True, "i-1")
    [detected] = of_type(events, DetractorDetected)
    assert (detected.reason.value, detected.score, detected.account_owner) == (
        "nps_detractor",
        4,
        "agent-7",
    )
    assert detected.survey_id == answered.survey_id
    # Each event numbered in its stream: the contact's decisions, the survey's answer.
    [requested] = [e for e in events if isinstance(e.data, SurveyRequested)]
    assert requested.sequencestream == "contact_feedback/c1" and requested.sequence is not None
    answer_stream = f"surveys/{answered.survey_id}"
    assert [
        (e.sequencestream, e.sequence)
        for e in events
        if isinstance(e.data, SurveyAnswered | DetractorDetected)
    ] == [(answer_stream, "0000000000000001"), (answer_stream, "0000000000000002")]


async def test_every_bad_answer_gets_its_4xx_and_stores_nothing(
    service_env, infra, namespace, mongo_db
) -> None:
    now = [T0]
    app = create_app(FeedbackSettings(**service_env), clock=lambda: now[0])
    async with serving(app) as client:
        await publish(
            infra.kafka_bootstrap,
            namespace,
            envelope(registered("c1")),
            envelope(case_resolved("c1", "case-1")),
        )
        tokens = await requested_tokens(infra, namespace, 2)
        csat, ces = tokens[SurveyKind.CSAT], tokens[SurveyKind.CES]
        before = await _surveys(mongo_db)

        async def post(body: dict[str, object]) -> httpx.Response:
            return await client.post("/surveys/answers", json=body)

        unknown = await post({"token": "x" * 43, "score": 4})
        assert unknown.status_code == 404
        out_of_range = await post({"token": csat, "score": 6})
        assert out_of_range.status_code == 422
        assert out_of_range.json()["detail"][0]["loc"] == ["body", "score"]
        too_long = await post({"token": csat, "score": 4, "comment": "a" * 1001})
        assert too_long.status_code == 422
        assert too_long.json()["detail"][0]["loc"] == ["body", "comment"]
        assert await _surveys(mongo_db) == before

        assert (await post({"token": csat, "score": 4, "comment": "a" * 1000})).status_code == 201
        answered = await _surveys(mongo_db)
        reused = await post({"token": csat, "score": 5})
        assert reused.status_code == 409
        now[0] = T0 + timedelta(days=14)
        expired = await post({"token": ces, "score": 2})
        assert expired.status_code == 410
        assert await _surveys(mongo_db) == answered

        events = await feedback_events(
            infra.kafka_bootstrap, namespace, lambda es: bool(of_type(es, SurveyAnswered))
        )
    assert [(a.kind.value, a.score) for a in of_type(events, SurveyAnswered)] == [("csat", 4)]
    assert of_type(events, DetractorDetected) == []
    assert [s["used"] for s in answered] == [s["kind"] == "csat" for s in answered]


async def test_reads_need_the_feedback_read_scope(service_env) -> None:
    app = create_app(FeedbackSettings(**service_env))
    async with serving(app) as client:
        response = await client.get("/contacts/c1/feedback", headers={"Authorization": ""})
        assert response.status_code == 401
        assert (await client.get("/contacts/nobody/feedback")).status_code == 404


async def _surveys(mongo_db) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The survey records without the outbox bookkeeping the publisher clears asynchronously."""
    cursor = mongo_db["surveys"].find({}, {"outbox": 0, "outbox_touched_at": 0}).sort("_id", 1)
    return [document async for document in cursor]


def _strings(value: object) -> list[str]:
    """Every string in a decoded JSON document: what a subscriber could try as a token."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *_strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


async def test_nothing_read_from_the_feedback_topic_answers_a_survey(
    service_env, infra, namespace, mongo_db
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    async with serving(app) as client:
        await publish(
            infra.kafka_bootstrap,
            namespace,
            envelope(registered("c1")),
            envelope(case_resolved("c1", "case-1")),
        )
        records = await read_until(
            infra.kafka_bootstrap, f"{namespace}.{topics.FEEDBACK}", lambda rs: len(rs) >= 2
        )
        requests = [decode(record.value).data for record in records]
        assert {type(r) for r in requests} == {SurveyRequested}
        candidates = {s for record in values(records) for s in _strings(record)}
        candidates |= {(r.value or b"").decode() for r in records}
        forged = [answer_link_token(r, key="a-key-nobody-holds-" + "x" * 20) for r in requests]
        before = await mongo_db["surveys"].find({}).to_list()

        tried = {}
        for candidate in sorted(candidates) + forged:
            for score in (1, 5):
                response = await client.post(
                    "/surveys/answers", json={"token": candidate, "score": score}
                )
                tried[candidate] = response.status_code
        assert len(tried) >= 20
        assert set(tried.values()) <= {404, 422}, tried
        assert await mongo_db["surveys"].find({}).to_list() == before

        genuine = answer_link_token(requests[0])  # what only the e-mail carries
        answered = await client.post("/surveys/answers", json={"token": genuine, "score": 4})
        assert answered.status_code == 201, answered.text
