"""Survey comments travel on rapport.feedback.personal only, and an erasure tombstones them
(real Kafka and MongoDB-wire server)."""

from __future__ import annotations

import pytest
from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from rapport_feedback.bootstrap import create_app
from rapport_feedback.settings import FeedbackSettings
from rapport_kit.admin import personal_topic_configs, topic_configs
from rapport_schemas import decode, topics
from rapport_schemas.contacts import ContactErased
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorDetectedV1,
    SurveyAnswered,
    SurveyAnsweredV1,
    SurveyComment,
    SurveyRequested,
)
from services.feedback.tests.integration.helpers import (
    T0,
    answer_link_token,
    envelope,
    feedback_events,
    interaction,
    of_type,
    personal_records,
    publish,
    registered,
)
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

COMMENT = "Kargo görevlisi Mehmet Bey çok kabaydı, zeytin-ağacı-7319"
Records = list[ConsumerRecord[bytes, bytes]]


def _keys(records: Records) -> list[tuple[str, str]]:
    """(key, what the record is) of every record: a comment or a tombstone."""
    return [
        ((r.key or b"").decode(), "tombstone" if r.value is None else decode(r.value).type)
        for r in records
    ]


async def _answered_with_a_comment(
    service_env: dict[str, object],
    namespace: str,
    *,
    rolls_while_serving: bool = False,
    **settings: object,
) -> tuple[str, Records, Records]:
    """c1 answers its NPS survey 3 with ``COMMENT``, then is erased: the survey id, and what the
    event topic and the personal topic hold afterwards (the tombstone included, and with
    ``rolls_while_serving`` a roll tombstone on each partition)."""
    bootstrap = str(service_env["kafka_bootstrap"])
    app = create_app(FeedbackSettings(**service_env, **settings), clock=lambda: T0)  # type: ignore[arg-type]
    async with serving(app) as client:
        await publish(bootstrap, namespace, envelope(registered("c1")))
        await publish(bootstrap, namespace, envelope(interaction("c1", "i-1")))
        events = await feedback_events(
            bootstrap, namespace, lambda es: bool(of_type(es, SurveyRequested))
        )
        [request] = of_type(events, SurveyRequested)
        answer = {"token": answer_link_token(request), "score": 3, "comment": COMMENT}
        assert (await client.post("/surveys/answers", json=answer)).status_code == 201

        async def shown() -> object:
            read = (await client.get("/contacts/c1/feedback")).json()
            return [a.get("comment") for a in read.get("answers", [])]

        await eventually(shown, expected=[COMMENT])
        await publish(bootstrap, namespace, envelope(ContactErased(contact_id="c1", erased_at=T0)))

        def erased(records: Records) -> bool:
            tombstones = {r.partition for r in records if r.value is None}
            return len(tombstones) == 3 if rolls_while_serving else bool(tombstones)

        personal = await personal_records(bootstrap, namespace, erased)
        await eventually(shown, expected=[None])
        records = await read_until(
            bootstrap,
            f"{namespace}.{topics.FEEDBACK}",
            lambda rs: (
                sum(decode(r.value or b"").type.endswith("detractor_detected.v2") for r in rs) >= 1
            ),
        )
    return request.survey_id, records, personal


async def test_a_comment_is_on_the_personal_topic_only_and_erasure_tombstones_it(
    service_env, namespace
) -> None:
    survey_id, events, personal = await _answered_with_a_comment(service_env, namespace)
    key = f"c1:survey:{survey_id}"

    carrying = [r for r in events if COMMENT.encode() in (r.value or b"")]
    print(f"\nrapport.feedback.events: {len(events)} records, {len(carrying)} with the comment")
    print(f"rapport.feedback.personal: {_keys(personal)}")
    assert carrying == []
    decoded = [decode(r.value or b"").data for r in events]
    [answered] = [d for d in decoded if isinstance(d, SurveyAnswered)]
    [detected] = [d for d in decoded if isinstance(d, DetractorDetected)]
    assert (answered.has_comment, detected.has_comment) == (True, True)
    assert not any(isinstance(d, SurveyAnsweredV1 | DetractorDetectedV1) for d in decoded)
    assert _keys(personal) == [
        (key, "rapport.feedback.survey_comment.v1"),
        (key, "tombstone"),
    ]
    comment = decode(personal[0].value or b"").data
    assert isinstance(comment, SurveyComment)
    assert (comment.contact_id, comment.survey_id, comment.comment) == ("c1", survey_id, COMMENT)
    assert personal[0].partition == personal[1].partition


async def test_with_v1_events_each_answer_and_detractor_also_goes_out_as_a_marked_v1_copy(
    service_env, namespace
) -> None:
    survey_id, events, personal = await _answered_with_a_comment(
        service_env, namespace, produce_v1_events=True
    )

    decoded = [decode(r.value or b"") for r in events]
    copies = [e for e in decoded if e.rapportcopyof is not None]
    by_id = {e.id: e for e in decoded}
    print(f"\nrapport.feedback.events: {len(events)} records, {len(copies)} v1 copies:")
    for copy in copies:
        print(f"  {copy.type} copy of {by_id[copy.rapportcopyof].type}, seq {copy.sequence}")
    assert sorted(e.type for e in copies) == [
        "rapport.feedback.detractor_detected.v1",
        "rapport.feedback.survey_answered.v1",
    ]
    for copy in copies:
        original = by_id[copy.rapportcopyof]  # type: ignore[index]
        assert (copy.subject, copy.sequence) == (original.subject, original.sequence)
        assert copy.data.comment == COMMENT  # type: ignore[attr-defined]
    assert _keys(personal) == [
        (f"c1:survey:{survey_id}", "rapport.feedback.survey_comment.v1"),
        (f"c1:survey:{survey_id}", "tombstone"),
    ]


async def test_the_personal_topic_follows_the_deadline_and_rolls_each_partition_after_an_erasure(
    service_env, namespace
) -> None:
    hours = 0.003  # segment.ms = 3.6 s
    survey_id, _, personal = await _answered_with_a_comment(
        service_env, namespace, erasure_deadline_hours=hours, rolls_while_serving=True
    )

    rolls = {(r.key or b"").decode(): r.partition for r in personal if r.value is None}
    print(f"\nrapport.feedback.personal after the erasure: {_keys(personal)}")
    assert rolls == {f"c1:survey:{survey_id}": rolls[f"c1:survey:{survey_id}"]} | {
        f"_roll:{p}": p for p in range(3)
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=str(service_env["kafka_bootstrap"]))
    await admin.start()
    try:
        configs = await topic_configs(admin, f"{namespace}.{topics.FEEDBACK_PERSONAL}")
    finally:
        await admin.close()
    wanted = personal_topic_configs(hours)
    assert {name: configs[name][0] for name in wanted} == wanted
    print(f"topic configs: {wanted}")
