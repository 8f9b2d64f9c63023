"""Answer intake against in-memory ports: a signed link answers its survey once, while open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport_feedback.domain.answers import (
    Answer,
    ScoreOutOfRange,
    Survey,
    SurveyAlreadyAnswered,
    SurveyExpired,
    SurveyNotFound,
    SurveyWithdrawn,
)
from rapport_feedback.domain.contact import ContactFeedback
from rapport_feedback.domain.tokens import survey_link_token
from rapport_feedback.service_layer.answering import AnswerIntake
from rapport_schemas.common import Channel
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyComment, SurveyKind
from services.feedback.tests.unit.factories import NOW, days_ago
from services.feedback.tests.unit.fakes import (
    FakeContactFeedbackStore,
    FakeEventCounter,
    FakeSurveyStore,
)
from tests.support.in_memory import SettableClock

KEY = b"a-link-key-of-at-least-thirty-two-bytes"
EXPIRES = NOW + timedelta(days=14)
SURVEY = Survey(
    survey_id="s1",
    contact_id="c1",
    kind=SurveyKind.NPS,
    channel=Channel.EMAIL,
    language="tr-TR",
    country="TR",
    requested_at=days_ago(1),
    expires_at=EXPIRES,
    interaction_id="i-1",
)
TOKEN = survey_link_token("s1", EXPIRES, KEY)


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def surveys() -> FakeSurveyStore:
    store = FakeSurveyStore()
    store.surveys["s1"] = SURVEY
    return store


@pytest.fixture
def contacts() -> FakeContactFeedbackStore:
    store = FakeContactFeedbackStore()
    store.states["c1"] = (ContactFeedback(contact_id="c1", account_owner="agent-7"), 1)
    return store


@pytest.fixture
def counter() -> FakeEventCounter:
    return FakeEventCounter()


@pytest.fixture
def intake(
    surveys: FakeSurveyStore,
    contacts: FakeContactFeedbackStore,
    clock: SettableClock,
    counter: FakeEventCounter,
) -> AnswerIntake:
    return AnswerIntake(surveys, contacts, clock, counter, link_keys=[KEY])


async def test_a_valid_link_records_the_answer_and_its_comment_in_one_write_once(
    intake: AnswerIntake, surveys: FakeSurveyStore, counter: FakeEventCounter
) -> None:
    answered = await intake.submit(TOKEN, Answer(score=9, comment="Hızlıydı"))

    assert (answered.survey_id, answered.contact_id, answered.score) == ("s1", "c1", 9)
    assert (answered.answered_at, answered.interaction_id, answered.has_comment) == (
        NOW,
        "i-1",
        True,
    )
    assert surveys.surveys["s1"].used
    comment = SurveyComment(contact_id="c1", survey_id="s1", comment="Hızlıydı", answered_at=NOW)
    assert surveys.events("s1") == [answered, comment]
    assert [e.partitionkey for e in surveys.outbox["s1"]] == ["c1", "c1:survey:s1"]
    assert surveys.comments == {"s1": "c1"}
    assert counter.kinds() == ["SurveyAnswered", "SurveyComment"]


async def test_an_answer_without_a_comment_publishes_no_comment(
    intake: AnswerIntake, surveys: FakeSurveyStore
) -> None:
    answered = await intake.submit(TOKEN, Answer(score=9))

    assert surveys.events("s1") == [answered] and answered.has_comment is False
    assert surveys.comments == {}


async def test_with_v1_events_each_answer_and_detractor_is_followed_by_its_marked_v1_copy(
    intake: AnswerIntake, surveys: FakeSurveyStore, counter: FakeEventCounter
) -> None:
    intake.produce_v1_events = True
    await intake.submit(TOKEN, Answer(score=3, comment="Çok bekledim"))

    envelopes = surveys.outbox["s1"]
    assert [type(e.data).__name__ for e in envelopes] == [
        "SurveyAnswered",
        "SurveyAnsweredV1",
        "DetractorDetected",
        "DetractorDetectedV1",
        "SurveyComment",
    ]
    answered, answered_v1, detected, detected_v1, _ = envelopes
    for original, copy in ((answered, answered_v1), (detected, detected_v1)):
        assert copy.rapportcopyof == original.id and copy.id != original.id
        assert (copy.subject, copy.partitionkey) == (original.subject, original.partitionkey)
        assert copy.data.comment == "Çok bekledim"  # type: ignore[attr-defined]
        assert copy.data.model_dump(exclude={"comment"}) == original.data.model_dump()
    assert answered.rapportcopyof is None
    assert counter.kinds() == ["SurveyAnswered", "DetractorDetected", "SurveyComment"]


async def test_a_detractor_answer_names_the_account_owner(
    intake: AnswerIntake, surveys: FakeSurveyStore
) -> None:
    await intake.submit(TOKEN, Answer(score=3, comment="Çok bekledim"))

    answered, detractor, _ = surveys.events("s1")
    assert isinstance(answered, SurveyAnswered)
    assert isinstance(detractor, DetractorDetected)
    assert (detractor.contact_id, detractor.account_owner, detractor.score) == ("c1", "agent-7", 3)


async def test_an_answer_after_a_merge_is_the_survivors(
    intake: AnswerIntake, contacts: FakeContactFeedbackStore
) -> None:
    contacts.states["c1"] = (ContactFeedback(contact_id="c1", merged_into="c0"), 2)
    contacts.states["c0"] = (ContactFeedback(contact_id="c0", account_owner="agent-9"), 1)

    answered = await intake.submit(TOKEN, Answer(score=10))

    assert answered.contact_id == "c0"


async def test_a_used_link_is_refused_and_nothing_more_is_stored(
    intake: AnswerIntake, surveys: FakeSurveyStore, counter: FakeEventCounter
) -> None:
    await intake.submit(TOKEN, Answer(score=9))

    with pytest.raises(SurveyAlreadyAnswered):
        await intake.submit(TOKEN, Answer(score=2))

    assert [e.score for e in surveys.events("s1")] == [9]
    assert counter.kinds() == ["SurveyAnswered"]


async def test_an_expired_link_is_refused_and_nothing_is_stored(
    intake: AnswerIntake, surveys: FakeSurveyStore, clock: SettableClock
) -> None:
    clock.now = EXPIRES

    with pytest.raises(SurveyExpired) as refused:
        await intake.submit(TOKEN, Answer(score=9))

    assert type(refused.value) is SurveyExpired
    assert surveys.surveys["s1"] == SURVEY
    assert surveys.events("s1") == []


async def test_the_links_own_expiry_binds_when_the_record_announces_a_later_one(
    intake: AnswerIntake, surveys: FakeSurveyStore, clock: SettableClock
) -> None:
    surveys.surveys["s1"] = Survey(**{**vars(SURVEY), "expires_at": EXPIRES + timedelta(days=7)})
    clock.now = EXPIRES + timedelta(days=1)

    with pytest.raises(SurveyExpired):
        await intake.submit(TOKEN, Answer(score=9))
    assert surveys.events("s1") == []


async def test_a_withdrawn_survey_is_refused_and_nothing_is_stored(
    intake: AnswerIntake, surveys: FakeSurveyStore
) -> None:
    await surveys.withdraw_open(["c1"])

    with pytest.raises(SurveyWithdrawn):
        await intake.submit(TOKEN, Answer(score=9))
    assert not surveys.surveys["s1"].used
    assert surveys.events("s1") == []


@pytest.mark.parametrize(
    "token",
    [
        survey_link_token("s1", EXPIRES, b"another-key-of-at-least-thirty-two-bytes"),
        survey_link_token("s-unknown", EXPIRES, KEY),
        TOKEN[:-2] + ("A" if TOKEN[-2] != "A" else "B") + TOKEN[-1],
        "not a link at all",
    ],
    ids=["other key", "unknown survey", "altered", "garbage"],
)
async def test_a_forged_or_unknown_link_is_not_found_and_nothing_is_stored(
    intake: AnswerIntake, surveys: FakeSurveyStore, token: str
) -> None:
    with pytest.raises(SurveyNotFound):
        await intake.submit(token, Answer(score=9))
    assert surveys.surveys == {"s1": SURVEY}
    assert surveys.outbox == {}


async def test_a_score_out_of_range_is_refused_and_nothing_is_stored(
    intake: AnswerIntake, surveys: FakeSurveyStore
) -> None:
    with pytest.raises(ScoreOutOfRange):
        await intake.submit(TOKEN, Answer(score=11))
    assert surveys.surveys["s1"] == SURVEY


async def test_ensure_open_uses_the_intake_clock(
    intake: AnswerIntake, clock: SettableClock
) -> None:
    intake.ensure_open(SURVEY)
    clock.now = EXPIRES
    with pytest.raises(SurveyExpired):
        intake.ensure_open(SURVEY)
