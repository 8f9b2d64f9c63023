from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ResponseRates
from rapport_kit.projection import ProjectedEvent, Tombstone, fold
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased, ContactsMerged
from rapport_schemas.feedback import (
    SurveyAnswered,
    SurveyAnsweredV1,
    SurveyComment,
    SurveyKind,
    SurveyRequested,
)
from services.feedback.tests.unit.factories import NOW, days_ago


def received(data: EventData, offset: int) -> ProjectedEvent:
    event = wrap(data, source="/test", time=NOW)
    return ProjectedEvent(event, "t", 0, offset)


def requested(survey: str, contact: str) -> SurveyRequested:
    return SurveyRequested(
        survey_id=survey,
        contact_id=contact,
        kind=SurveyKind.NPS,
        expires_at=NOW,
        language="tr-TR",
        channel=Channel.EMAIL,
        requested_at=days_ago(1),
        country="TR",
    )


def answered(survey: str, contact: str, score: int) -> SurveyAnswered:
    return SurveyAnswered(
        survey_id=survey,
        contact_id=contact,
        kind=SurveyKind.NPS,
        score=score,
        has_comment=True,
        answered_at=NOW,
        language="tr-TR",
        country="TR",
    )


def commented(survey: str, contact: str, text: str = "Teşekkürler") -> SurveyComment:
    return SurveyComment(contact_id=contact, survey_id=survey, comment=text, answered_at=NOW)


def comments(document: dict[str, object]) -> list[tuple[object, object]]:
    answers: list[dict[str, object]] = document["answers"]  # type: ignore[assignment]
    return sorted((a["survey_id"], a["comment"]) for a in answers)


def test_per_contact_answers_follow_a_merge_once_and_erasure_keeps_scores_only() -> None:
    events = [
        received(requested("s1", "c1"), 0),
        received(answered("s1", "c1", 10), 1),
        received(commented("s1", "c1"), 2),
        received(commented("s2", "c2"), 3),  # before its answer: the topics are not ordered
        received(answered("s2", "c2", 5), 4),
        received(ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW), 5),
        received(ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW), 6),
    ]
    merged = fold(FeedbackByContact(), {}, events)
    assert comments(merged.changed["c2"]) == [("s1", "Teşekkürler"), ("s2", "Teşekkürler")]
    assert comments(merged.changed["c1"]) == [("s1", None)]
    erased = [received(ContactErased(contact_id="c2", erased_at=NOW), 7)]
    changed = fold(FeedbackByContact(), merged.current, erased).changed
    survivor, absorbed = changed["c2"], merged.current["c1"]
    assert sorted((a["survey_id"], a["score"], a["comment"]) for a in survivor["answers"]) == [
        ("s1", 10, None),
        ("s2", 5, None),
    ]
    assert survivor["requested"] == [{"survey_id": "s1", "kind": "nps"}]
    assert survivor["erased"] is True and survivor["comments"] == []
    assert absorbed["merged_into"] == "c2" and absorbed["comments"] == []
    late = [received(commented("s3", "c2"), 8), received(commented("s4", "c1"), 9)]
    after = fold(FeedbackByContact(), fold(FeedbackByContact(), {}, events + erased).current, late)
    assert after.current["c2"]["comments"] == [] and after.current["c1"]["comments"] == []


def test_a_comment_from_the_history_shows_until_the_contact_is_erased() -> None:
    old = SurveyAnsweredV1(**{**answered("s1", "c1", 9).model_dump(), "comment": "Eski yorum"})
    events = [received(old, 0)]
    assert comments(fold(FeedbackByContact(), {}, events).changed["c1"]) == [("s1", "Eski yorum")]
    events.append(received(ContactErased(contact_id="c1", erased_at=NOW), 1))
    assert comments(fold(FeedbackByContact(), {}, events).changed["c1"]) == [("s1", None)]


def test_nps_category_follows_the_latest_nps_answer() -> None:
    changed = fold(FeedbackByContact(), {}, [received(answered("s1", "c1", 8), 0)]).changed
    assert changed["c1"]["nps_category"] == "passive"
    assert changed["c1"]["latest"]["nps"]["score"] == 8


def test_response_rates_per_kind_country_and_primary_language() -> None:
    events = [
        received(requested("s1", "c1"), 0),
        received(requested("s2", "c2"), 1),
        received(answered("s1", "c1", 9), 2),
    ]
    changed = fold(ResponseRates(), {}, events).changed
    counts = {key: (d["requested"], d["answered"]) for key, d in changed.items()}
    assert counts == {"nps|all|all": (2, 1), "nps|country|TR": (2, 1), "nps|language|tr": (2, 1)}


def tombstone(key: str, topic: str = topics.FEEDBACK_PERSONAL) -> ProjectedEvent:
    """What the kit hands a consumer for a null value on a personal topic."""
    data = Tombstone(personal_topic=topic, key=key, contact_id=key.partition(":")[0])
    event = wrap(data, source="/rapport/kit/tombstone", time=NOW)
    return ProjectedEvent(event, topic, 0, 100)


def test_a_comment_s_tombstone_clears_that_comment_only_and_keeps_the_score() -> None:
    events = [
        received(answered("s1", "c1", 9), 0),
        received(commented("s1", "c1"), 1),
        received(answered("s2", "c1", 4), 2),
        received(commented("s2", "c1", "Yavaş"), 3),
    ]
    before = fold(FeedbackByContact(), {}, events).current
    projection = FeedbackByContact()
    assert projection.keys(tombstone("c1:survey:s1")) == ("c1",)
    for other in (tombstone("c1"), tombstone("c1:interaction:i1"), tombstone("_roll:0")):
        assert projection.keys(other) == ()
    assert projection.keys(tombstone("c1:survey:s1", topics.CONTACTS_PERSONAL)) == ()
    after = fold(projection, before, [tombstone("c1:survey:s1")]).current["c1"]
    assert comments(after) == [("s1", None), ("s2", "Yavaş")]
    assert [a["score"] for a in after["answers"]] == [9, 4]
    assert after["comments"] == [{"survey_id": "s2", "comment": "Yavaş"}]
