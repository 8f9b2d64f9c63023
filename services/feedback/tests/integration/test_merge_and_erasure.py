"""Merges and erasure against the real broker and MongoDB-wire server."""

from __future__ import annotations

import pytest

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings
from rapport_schemas.contacts import ContactErased, ContactsMerged, InteractionKind
from rapport_schemas.feedback import DetractorDetected, SurveyKind, SurveyRequested
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
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def test_the_fatigue_cap_follows_a_merge_and_erasure_withdraws_links_and_comments(
    service_env, infra, namespace, mongo_db
) -> None:
    app = create_app(FeedbackSettings(**service_env), clock=lambda: T0)
    bootstrap = infra.kafka_bootstrap
    async with serving(app) as client:
        await publish(
            bootstrap,
            namespace,
            envelope(registered("c1")),
            envelope(registered("c2")),
            envelope(case_resolved("c1", "case-1")),  # CSAT + CES: c1 is at the fatigue cap
        )
        events = await feedback_events(
            bootstrap, namespace, lambda es: len(of_type(es, SurveyRequested)) >= 2
        )
        tokens = {r.kind: answer_link_token(r) for r in of_type(events, SurveyRequested)}
        comment = "Ayşe Hanım çok ilgiliydi"
        answer = {"token": tokens[SurveyKind.CSAT], "score": 5, "comment": comment}
        assert (await client.post("/surveys/answers", json=answer)).status_code == 201

        async def comment_of_c1() -> object:
            read = await client.get("/contacts/c1/feedback")
            answers = read.json().get("answers", []) if read.status_code == 200 else []
            return [a["comment"] for a in answers]

        # Folded before the merge is sent (the answer, its comment and the merge come on three
        # topics: a consumer reading them in one batch may see them in any order).
        await eventually(comment_of_c1, expected=[comment])
        merged = ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=T0)
        await publish(
            bootstrap,
            namespace,
            envelope(merged),
            envelope(case_resolved("c2", "case-2")),  # nothing: the survivor inherited the cap
            envelope(interaction("c2", "m-1", InteractionKind.COMPLAINT)),  # marker
        )
        events = await feedback_events(
            bootstrap, namespace, lambda es: bool(of_type(es, DetractorDetected))
        )
        assert len(of_type(events, SurveyRequested)) == 2

        async def survivor_comment() -> object:
            read = await client.get("/contacts/c1/feedback")
            answers = read.json().get("answers", []) if read.status_code == 200 else []
            return (read.json()["contact_id"], answers[0]["comment"]) if answers else None

        await eventually(survivor_comment, expected=("c2", comment))
        await publish(bootstrap, namespace, envelope(ContactErased(contact_id="c2", erased_at=T0)))

        async def erased_comment() -> object:
            read = (await client.get("/contacts/c2/feedback")).json()
            return read["erased"], [(a["score"], a["comment"]) for a in read["answers"]]

        await eventually(erased_comment, expected=(True, [(5, None)]))

        # The absorbed contact's open CES link followed the survivor, and is withdrawn with it.
        async def ces_withdrawn() -> object:
            return await mongo_db["surveys"].find_one({"kind": "ces", "withdrawn": True})

        withdrawn = await eventually(ces_withdrawn)
        assert withdrawn["contact_id"] == "c2"
        ces = {"token": tokens[SurveyKind.CES], "score": 3}
        assert (await client.post("/surveys/answers", json=ces)).status_code == 410
