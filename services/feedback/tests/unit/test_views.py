from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ResponseRates
from rapport_kit.projection import ProjectedEvent, fold
from rapport_schemas import EventData, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactErased, ContactsMerged
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested
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
        comment="Teşekkürler",
        answered_at=NOW,
        language="tr-TR",
        country="TR",
    )


def test_per_contact_answers_follow_a_merge_once_and_erasure_keeps_scores_only() -> None:
    events = [
        received(requested("s1", "c1"), 0),
        received(answered("s1", "c1", 10), 1),
        received(answered("s2", "c2", 5), 2),
        received(ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW), 3),
        received(ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW), 4),
        received(ContactErased(contact_id="c2", erased_at=NOW), 5),
    ]
    changed = fold(FeedbackByContact(), {}, events).changed
    survivor, absorbed = changed["c2"], changed["c1"]
    assert sorted((a["survey_id"], a["score"], a["comment"]) for a in survivor["answers"]) == [
        ("s1", 10, None),
        ("s2", 5, None),
    ]
    assert survivor["requested"] == [{"survey_id": "s1", "kind": "nps"}]
    assert survivor["erased"] is True
    assert absorbed["merged_into"] == "c2"
    assert [a["comment"] for a in absorbed["answers"]] == [None]


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
