"""The survey desk against in-memory ports: decisions stored with their events, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport_feedback.domain.policy import SurveyRules
from rapport_feedback.service_layer.erasure import SegmentRolls
from rapport_feedback.service_layer.surveying import SurveyDesk
from rapport_schemas import CloudEvent, EventData, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    CaseResolved,
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
)
from rapport_schemas.feedback import SurveyKind, SurveyRequested
from services.feedback.tests.unit.factories import NOW, days_ago
from services.feedback.tests.unit.fakes import (
    FakeContactFeedbackStore,
    FakeEventCounter,
    FakePersonalTopic,
    FakeSurveyStore,
)
from tests.support.in_memory import SettableClock

PROFILE = ContactProfile(
    name="Ayşe Yılmaz",
    email="ayse@example.com.tr",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
)


def envelope(data: EventData, event_id: str) -> CloudEvent[EventData]:
    event: CloudEvent[EventData] = wrap(data, source="/test", event_id=event_id, time=NOW)
    return event


def registered(contact_id: str) -> CloudEvent[EventData]:
    consent = Consent(channel=Channel.EMAIL, granted=True, source="web", changed_at=days_ago(9))
    data = ContactRegistered(
        contact_id=contact_id, profile=PROFILE, consents=(consent,), registered_at=days_ago(9)
    )
    return envelope(data, f"registered-{contact_id}")


def resolved(contact_id: str, case_id: str) -> CloudEvent[EventData]:
    data = CaseResolved(
        case_id=case_id,
        contact_id=contact_id,
        channel=Channel.PHONE,
        opened_at=days_ago(2),
        resolved_at=days_ago(1),
        first_contact=True,
        interaction_count=1,
    )
    return envelope(data, f"resolved-{case_id}")


@pytest.fixture
def contacts() -> FakeContactFeedbackStore:
    return FakeContactFeedbackStore()


@pytest.fixture
def surveys() -> FakeSurveyStore:
    return FakeSurveyStore()


@pytest.fixture
def counter() -> FakeEventCounter:
    return FakeEventCounter()


@pytest.fixture
def desk(
    contacts: FakeContactFeedbackStore, surveys: FakeSurveyStore, counter: FakeEventCounter
) -> SurveyDesk:
    return SurveyDesk(
        contacts=contacts,
        surveys=surveys,
        rules=SurveyRules(),
        clock=SettableClock(NOW),
        token_ttl=timedelta(days=14),
        remembered_triggers=100,
        metrics=counter,
    )


async def test_a_resolved_case_requests_one_csat_and_one_ces_stored_before_announced(
    desk: SurveyDesk,
    contacts: FakeContactFeedbackStore,
    surveys: FakeSurveyStore,
    counter: FakeEventCounter,
) -> None:
    case = resolved("c1", "case-1")

    await desk.decide([registered("c1"), case])

    requests = [e for e in contacts.events("c1") if isinstance(e, SurveyRequested)]
    assert sorted(r.kind for r in requests) == [SurveyKind.CES, SurveyKind.CSAT]
    assert {(r.case_id, r.trigger_event_id, r.channel) for r in requests} == {
        ("case-1", case.id, Channel.EMAIL)
    }
    assert {r.expires_at for r in requests} == {NOW + timedelta(days=14)}
    assert set(surveys.surveys) == {r.survey_id for r in requests}
    assert all(s.contact_id == "c1" and not s.used for s in surveys.surveys.values())
    assert counter.kinds() == ["SurveyRequested", "SurveyRequested"]


async def test_a_redelivered_batch_decides_nothing_new(
    desk: SurveyDesk,
    contacts: FakeContactFeedbackStore,
    surveys: FakeSurveyStore,
    counter: FakeEventCounter,
) -> None:
    batch = [registered("c1"), resolved("c1", "case-1")]
    await desk.decide(batch)
    outbox, stored, observed = list(contacts.outbox["c1"]), dict(surveys.surveys), counter.kinds()

    await desk.decide(batch)
    await desk.decide(batch[1:])

    assert contacts.outbox["c1"] == outbox
    assert surveys.surveys == stored
    assert counter.kinds() == observed


async def test_a_merge_hands_open_surveys_to_the_survivor(
    desk: SurveyDesk, contacts: FakeContactFeedbackStore, surveys: FakeSurveyStore
) -> None:
    await desk.decide([registered("c1"), registered("c2"), resolved("c2", "case-2")])
    merged = ContactsMerged(contact_id="c2", survivor_id="c1", merged_at=NOW)

    await desk.decide([envelope(merged, "merged-c2")])

    assert contacts.state("c2").merged_into == "c1"
    assert {s.contact_id for s in surveys.surveys.values()} == {"c1"}
    assert len(surveys.surveys) == 2


async def test_an_erasure_withdraws_open_surveys_and_asks_nothing_any_more(
    desk: SurveyDesk,
    contacts: FakeContactFeedbackStore,
    surveys: FakeSurveyStore,
    counter: FakeEventCounter,
) -> None:
    await desk.decide([registered("c1"), resolved("c1", "case-1")])
    erased = ContactErased(contact_id="c1", erased_at=NOW)

    await desk.decide([envelope(erased, "erased-c1")])
    await desk.decide([resolved("c1", "case-2")])

    state = contacts.state("c1")
    assert (state.erased, state.language, state.country, state.consents) == (True, None, None, {})
    assert all(s.withdrawn for s in surveys.surveys.values())
    assert len(surveys.surveys) == 2
    assert counter.kinds() == ["SurveyRequested", "SurveyRequested"]


async def test_an_erasure_tombstones_every_comment_of_the_contact_and_of_those_merged_into_it(
    desk: SurveyDesk, contacts: FakeContactFeedbackStore, surveys: FakeSurveyStore
) -> None:
    await desk.decide([registered("c1"), registered("c2"), registered("c3")])
    for survey_id, commenter in (("s1", "c1"), ("s2", "c2"), ("s3", "c3")):
        surveys.comments[survey_id] = commenter  # each answered with a comment
    merged = ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW)
    erased = ContactErased(contact_id="c2", erased_at=NOW)

    await desk.decide([envelope(merged, "merged-c1"), envelope(erased, "erased-c2")])
    await desk.decide([envelope(erased, "erased-c2")])  # redelivered: nothing twice

    assert surveys.tombstones == {
        "s1": [(topics.FEEDBACK_PERSONAL, "c1:survey:s1")],
        "s2": [(topics.FEEDBACK_PERSONAL, "c2:survey:s2")],
    }


async def test_segments_roll_only_while_a_comment_erasure_is_within_the_deadline(
    surveys: FakeSurveyStore,
) -> None:
    clock = SettableClock(NOW)
    surveys.clock = clock
    topic = FakePersonalTopic(partitions=3)
    rolls = SegmentRolls(surveys, topic, clock, deadline=timedelta(hours=24))

    assert await rolls.roll_once() == 0  # nothing erased yet
    surveys.comments["s1"] = "c1"
    await surveys.erase_comments(["c1"])
    clock.now = NOW + timedelta(hours=23)
    assert await rolls.roll_once() == 3
    clock.now = NOW + timedelta(hours=25)
    assert await rolls.roll_once() == 0
    assert topic.rolls == 1
