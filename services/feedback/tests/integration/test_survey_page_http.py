"""The survey page over HTTP: what it refuses, what it never records, the headers it sends."""

from __future__ import annotations

import re

import httpx
import pytest

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from services.feedback.tests.integration.helpers import (
    T0,
    answer_link_token,
    case_resolved,
    envelope,
    feedback_events,
    of_type,
    publish,
    registered,
)
from tests.support.services import serving

pytestmark = pytest.mark.integration
SAME_ORIGIN = {"Origin": "http://service", "Sec-Fetch-Site": "same-origin"}


async def _links(infra, namespace) -> dict[SurveyKind, str]:  # type: ignore[no-untyped-def]
    await publish(
        infra.kafka_bootstrap,
        namespace,
        envelope(registered("c1")),
        envelope(case_resolved("c1", "case-1")),
    )
    events = await feedback_events(
        infra.kafka_bootstrap, namespace, lambda es: len(of_type(es, SurveyRequested)) >= 2
    )
    return {r.kind: answer_link_token(r) for r in of_type(events, SurveyRequested)}


async def test_the_page_refuses_what_it_must_and_records_only_a_confirmed_answer(
    service_env, infra, namespace, mongo_db
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    async with serving(app) as client:
        tokens = await _links(infra, namespace)
        csat = tokens[SurveyKind.CSAT]
        page = await client.get("/answers", params={"token": csat, "score": 4})
        assert page.status_code == 200
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-frame-options"] == "DENY"
        assert '<html lang="tr" dir="ltr">' in page.text
        assert re.search(r'value="4" required checked', page.text)
        assert "<script" not in page.text and "http" not in page.text.split("<body>")[1]
        before = await mongo_db["surveys"].find({}).to_list()

        async def post(form: dict[str, str], headers: dict[str, str]) -> httpx.Response:
            return await client.post("/answers", data=form, headers=headers)

        refused = {
            "cross-site": await post(
                {"token": csat, "score": "4"},
                {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            ),
            "other origin, no fetch metadata": await post(
                {"token": csat, "score": "4"}, {"Origin": "https://evil.example"}
            ),
            "no score": await post({"token": csat}, SAME_ORIGIN),
            "score out of range": await post({"token": csat, "score": "6"}, SAME_ORIGIN),
            "score not a number": await post({"token": csat, "score": "NaN"}, SAME_ORIGIN),
            "non-ASCII digit": await post({"token": csat, "score": "٤"}, SAME_ORIGIN),
            "comment too long": await post(
                {"token": csat, "score": "4", "comment": "x" * 1001}, SAME_ORIGIN
            ),
            "forged token": await post({"token": csat[:-2] + "AA", "score": "4"}, SAME_ORIGIN),
            "garbage token": await post({"token": "\x00\ud7ff" * 20, "score": "4"}, SAME_ORIGIN),
        }
        statuses = {name: response.status_code for name, response in refused.items()}
        assert statuses == {
            "cross-site": 403,
            "other origin, no fetch metadata": 403,
            "no score": 422,
            "score out of range": 422,
            "score not a number": 422,
            "non-ASCII digit": 422,
            "comment too long": 422,
            "forged token": 404,
            "garbage token": 404,
        }
        assert "Lütfen göndermeden önce bir puan seçin." in refused["no score"].text
        assert all("text/html" in r.headers["content-type"] for r in refused.values())
        assert await mongo_db["surveys"].find({}).to_list() == before

        answered = await post({"token": csat, "score": "4", "comment": "Teşekkürler"}, SAME_ORIGIN)
        assert answered.status_code == 303
        thanks = await client.get(answered.headers["location"])
        assert thanks.status_code == 200 and "Teşekkür ederiz!" in thanks.text
        again = await post({"token": csat, "score": "5"}, SAME_ORIGIN)
        assert again.status_code == 409 and "zaten yanıtladınız" in again.text
        stored = await mongo_db["surveys"].find_one({"kind": "csat"})
        assert stored is not None and stored["used"] is True

        unanswered = await client.get("/answers/thanks", params={"token": tokens[SurveyKind.CES]})
        assert unanswered.status_code == 303  # no thanks for an answer not given: back to the form


async def test_a_link_the_service_never_signed_gets_a_page_in_the_reader_s_language(
    service_env, infra, namespace
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    async with serving(app) as client:
        page = await client.get(
            "/answers", params={"token": "x" * 60}, headers={"Accept-Language": "de-AT,de;q=0.9"}
        )
    assert page.status_code == 404
    assert '<html lang="de"' in page.text and "Dieser Link ist ungültig" in page.text
