from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from rapport_feedback.domain.contact import CountedMessage
from rapport_feedback.domain.decisions import decide
from rapport_feedback.domain.outcome import derived_id
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ContactsMerged,
    ContactUpdated,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
    PurchaseRecorded,
)
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorDetectedV1,
    DetractorReason,
    SurveyRequested,
)
from rapport_schemas.notifications import NotificationSent
from services.feedback.tests.unit.factories import NOW, context, counted, days_ago, event, reachable

PROFILE = ContactProfile(
    name="Zsófia Kovács",
    language="hu-HU",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
    preferred_channel=Channel.SMS,
    account_owner="agent-7",
)


def resolved(contact: str = "c1", case: str = "case-1") -> CaseResolved:
    return CaseResolved(
        case_id=case,
        contact_id=contact,
        channel=Channel.PHONE,
        opened_at=days_ago(2),
        resolved_at=days_ago(1),
        first_contact=True,
        interaction_count=1,
    )


def interaction(kind: InteractionKind, contact: str = "c1") -> InteractionLogged:
    return InteractionLogged(
        interaction_id="i-1",
        contact_id=contact,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        kind=kind,
        occurred_at=days_ago(0.1),
        has_summary=True,
    )


def interaction_v1(kind: InteractionKind, summary: str | None) -> InteractionLoggedV1:
    """From the history: the summary in the event itself."""
    return InteractionLoggedV1(
        interaction_id="i-1",
        contact_id="c1",
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        kind=kind,
        occurred_at=days_ago(0.1),
        summary=summary,
    )


def sent(
    notification: str, *, template: str = "promotion", transactional: bool = False
) -> NotificationSent:
    return NotificationSent(
        notification_id=notification,
        contact_id="c1",
        template=template,
        channel=Channel.EMAIL,
        locale="tr",
        transactional=transactional,
        trigger_event_id="t",
        sent_at=days_ago(1),
    )


def test_a_registered_contact_is_asked_on_a_consented_channel_with_derived_ids() -> None:
    consent = Consent(
        channel=Channel.EMAIL, granted=True, source="web form", changed_at=days_ago(3)
    )
    registered = ContactRegisteredV1(
        contact_id="c1", profile=PROFILE, consents=(consent,), registered_at=days_ago(3)
    )
    events = [event(registered, "reg"), event(resolved(), "resolve-1")]
    outcome = decide({}, events, context())
    requests = [e.data for e in outcome.emitted["c1"]]
    assert all(isinstance(r, SurveyRequested) for r in requests)
    assert [(r.kind, r.channel, r.language, r.country) for r in requests] == [  # type: ignore[attr-defined]
        ("csat", Channel.EMAIL, "hu-HU", "HU"),
        ("ces", Channel.EMAIL, "hu-HU", "HU"),
    ]
    assert [s.request.survey_id for s in outcome.surveys] == [
        derived_id("resolve-1", "csat"),
        derived_id("resolve-1", "ces"),
    ]
    assert "token" not in outcome.surveys[0].request.model_dump()
    assert outcome.surveys[0].request.expires_at == NOW + timedelta(days=14)
    assert outcome.states["c1"].handled_triggers == ("resolve-1",)


def test_v2_registration_and_update_give_the_same_directory_as_v1_without_personal_data() -> None:
    consent = Consent(
        channel=Channel.EMAIL, granted=True, source="web form", changed_at=days_ago(3)
    )
    v1 = ContactRegisteredV1(
        contact_id="c1", profile=PROFILE, consents=(consent,), registered_at=days_ago(3)
    )
    v2 = ContactRegistered(
        contact_id="c1", profile=PROFILE.facts(), consents=(consent,), registered_at=days_ago(3)
    )
    from_v1 = decide({}, [event(v1, "reg")], context()).states["c1"]
    from_v2 = decide({}, [event(v2, "reg")], context()).states["c1"]
    assert from_v2 == from_v1
    assert (from_v2.language, from_v2.country, from_v2.account_owner) == ("hu-HU", "HU", "agent-7")
    moved = PROFILE.facts().model_copy(update={"country": "AT", "language": "de-AT"})
    update = ContactUpdated(
        contact_id="c1", profile=moved, changed_fields=("country",), updated_at=days_ago(1)
    )
    updated = decide({"c1": from_v2}, [event(update, "upd")], context()).states["c1"]
    assert (updated.language, updated.country, updated.preferred_channel) == (
        "de-AT",
        "AT",
        Channel.SMS,
    )


def test_a_trigger_seen_again_decides_nothing() -> None:
    first = decide({"c1": reachable()}, [event(resolved(), "resolve-1")], context())
    again = decide(first.states, [event(resolved(), "resolve-1")], context())
    assert again.emitted == {} and again.surveys == [] and again.changed == set()


def test_an_inbound_complaint_raises_one_detractor_with_what_follow_up_needs() -> None:
    state = reachable(account_owner="agent-7")
    outcome = decide(
        {"c1": state}, [event(interaction(InteractionKind.COMPLAINT), "cmp")], context()
    )
    [emitted] = outcome.emitted["c1"]
    assert emitted.id == derived_id("cmp", "complaint")
    detected = emitted.data
    assert isinstance(detected, DetractorDetected)
    assert (detected.reason, detected.interaction_id, detected.account_owner) == (
        DetractorReason.COMPLAINT,
        "i-1",
        "agent-7",
    )
    assert detected.has_comment is True and "comment" not in detected.model_dump()
    again = decide(
        outcome.states, [event(interaction(InteractionKind.COMPLAINT), "cmp")], context()
    )
    assert again.emitted == {}


def test_a_complaint_from_the_history_says_it_has_a_text_and_never_carries_it() -> None:
    events = [
        event(interaction_v1(InteractionKind.COMPLAINT, "Kargo üç gündür gelmedi"), "old-1"),
        event(interaction_v1(InteractionKind.COMPLAINT, None), "old-2"),
    ]
    outcome = decide({"c1": reachable()}, events, context())
    detected = [e.data for e in outcome.emitted["c1"]]
    assert [type(d).__name__ for d in detected] == ["DetractorDetected", "DetractorDetected"]
    assert [d.has_comment for d in detected] == [True, False]  # type: ignore[attr-defined]
    assert all("comment" not in d.model_dump() for d in detected)


def test_with_v1_events_a_complaint_is_followed_by_its_v1_copy_with_the_text_it_knows() -> None:
    events = [
        event(interaction_v1(InteractionKind.COMPLAINT, "Kargo üç gündür gelmedi"), "old"),
        event(interaction(InteractionKind.COMPLAINT), "new"),  # v2: the text stays with contacts
    ]
    outcome = decide({"c1": reachable()}, events, replace(context(), produce_v1_events=True))
    old, old_copy, new, new_copy = outcome.emitted["c1"]
    assert [type(e.data).__name__ for e in outcome.emitted["c1"]] == [
        "DetractorDetected",
        "DetractorDetectedV1",
        "DetractorDetected",
        "DetractorDetectedV1",
    ]
    assert (old_copy.rapportcopyof, new_copy.rapportcopyof) == (old.id, new.id)
    assert old_copy.id == derived_id(old.id, "v1")
    assert isinstance(old_copy.data, DetractorDetectedV1)
    assert isinstance(new_copy.data, DetractorDetectedV1)
    assert (old_copy.data.comment, new_copy.data.comment) == ("Kargo üç gündür gelmedi", None)
    assert old_copy.data.model_dump(exclude={"comment"}) == old.data.model_dump()


def test_non_transactional_notifications_count_once_and_survey_invitations_not_at_all() -> None:
    events = [
        event(sent("n1"), "x1"),
        event(sent("n1"), "x1-republished"),
        event(sent("n2", template="survey_invitation"), "x2"),
        event(sent("n3", transactional=True), "x3"),
    ]
    outcome = decide({"c1": reachable()}, events, context())
    assert outcome.states["c1"].notifications == (CountedMessage("n1", days_ago(1)),)


def test_consent_changes_apply_newest_first() -> None:
    revoked = Consent(
        channel=Channel.EMAIL, granted=False, source="unsubscribe", changed_at=days_ago(1)
    )
    stale = Consent(channel=Channel.EMAIL, granted=True, source="old form", changed_at=days_ago(50))
    events = [
        event(ContactConsentChanged(contact_id="c1", consent=revoked), "k1"),
        event(ContactConsentChanged(contact_id="c1", consent=stale), "k2"),
        event(resolved(), "resolve-1"),
    ]
    outcome = decide({"c1": reachable()}, events, context())
    assert outcome.surveys == []


def test_a_merge_moves_counters_to_the_survivor_without_counting_twice() -> None:
    absorbed = reachable("c1", surveys=counted(1, days=2), last_nps_at=days_ago(10))
    survivor = reachable("c2", surveys=counted(1, days=2))  # the same survey id "m0"
    merge = ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=NOW)
    outcome = decide({"c1": absorbed, "c2": survivor}, [event(merge, "mg")], context())
    assert outcome.states["c2"].surveys == counted(1, days=2)
    assert outcome.states["c2"].last_nps_at == days_ago(10)
    assert outcome.states["c1"].merged_into == "c2"
    assert outcome.states["c1"].language is None
    # Later events about the absorbed contact land on the survivor, who is at the fatigue cap.
    follow = [
        event(resolved("c1"), "r2"),
        event(
            PurchaseRecorded(
                purchase_id="p", contact_id="c1", amount=Decimal(1), currency="TRY", occurred_at=NOW
            ),
            "p1",
        ),
    ]
    later = decide(outcome.states, follow, context())
    assert [s.request.contact_id for s in later.surveys] == ["c2"]
    assert later.states["c2"].handled_triggers[-2:] == ("r2", "p1")


def test_an_erased_contact_loses_personal_data_and_is_never_asked() -> None:
    erased = ContactErased(contact_id="c1", erased_at=NOW)
    outcome = decide(
        {"c1": reachable(account_owner="a")},
        [event(erased, "er"), event(resolved(), "r")],
        context(),
    )
    state = outcome.states["c1"]
    assert (state.erased, state.language, state.account_owner, state.consents) == (
        True,
        None,
        None,
        {},
    )
    assert outcome.surveys == [] and outcome.erased == {"c1"}
