from datetime import timedelta

from rapport_feedback.domain.contact import ChannelConsent, CountedMessage
from rapport_feedback.domain.policy import (
    SurveyRules,
    Trigger,
    TriggerKind,
    plan_surveys,
    recording_requests,
    survey_channel,
)
from rapport_schemas.common import Channel
from rapport_schemas.contacts import InteractionKind
from rapport_schemas.feedback import SurveyKind
from services.feedback.tests.unit.factories import NOW, counted, days_ago, reachable

RESOLVED = Trigger("e1", TriggerKind.CASE_RESOLVED, InteractionKind.SUPPORT, case_id="case-1")
INTERACTION = Trigger("e2", TriggerKind.INTERACTION, InteractionKind.INQUIRY, "i-1")
PURCHASE = Trigger("e3", TriggerKind.PURCHASE)
RULES = SurveyRules()


def kinds(*planned: object) -> list[SurveyKind]:
    return [p.kind for p in planned]  # type: ignore[attr-defined]


def test_a_resolved_support_case_asks_csat_and_ces_in_the_preferred_language_and_channel() -> None:
    planned = plan_surveys(reachable(), RESOLVED, RULES, NOW)
    assert kinds(*planned) == [SurveyKind.CSAT, SurveyKind.CES]
    assert {(p.channel, p.language) for p in planned} == {(Channel.EMAIL, "tr-TR")}


def test_a_resolved_complaint_case_is_surveyed_an_inquiry_case_is_not() -> None:
    complaint = Trigger("e", TriggerKind.CASE_RESOLVED, InteractionKind.COMPLAINT)
    inquiry = Trigger("e", TriggerKind.CASE_RESOLVED, InteractionKind.INQUIRY)
    assert kinds(*plan_surveys(reachable(), complaint, RULES, NOW)) == [
        SurveyKind.CSAT,
        SurveyKind.CES,
    ]
    assert plan_surveys(reachable(), inquiry, RULES, NOW) == ()


def test_nps_after_an_interaction_at_most_once_per_interval() -> None:
    assert kinds(*plan_surveys(reachable(), INTERACTION, RULES, NOW)) == [SurveyKind.NPS]
    recent = reachable(last_nps_at=days_ago(89))
    assert plan_surveys(recent, INTERACTION, RULES, NOW) == ()
    due = reachable(last_nps_at=days_ago(90))
    assert kinds(*plan_surveys(due, INTERACTION, RULES, NOW)) == [SurveyKind.NPS]


def test_nps_after_a_purchase_only_where_configured() -> None:
    assert kinds(*plan_surveys(reachable(), PURCHASE, RULES, NOW)) == [SurveyKind.NPS]
    off = SurveyRules(nps_after_purchase=False)
    assert plan_surveys(reachable(), PURCHASE, off, NOW) == ()


def test_a_complaint_interaction_earns_no_relationship_survey() -> None:
    complaint = Trigger("e", TriggerKind.INTERACTION, InteractionKind.COMPLAINT, "i")
    assert plan_surveys(reachable(), complaint, RULES, NOW) == ()


def test_fatigue_cap_counts_surveys_in_the_rolling_window() -> None:
    one_left = reachable(surveys=counted(1, days=20))
    assert kinds(*plan_surveys(one_left, RESOLVED, RULES, NOW)) == [SurveyKind.CSAT]
    capped = reachable(surveys=counted(2, days=29))
    assert plan_surveys(capped, RESOLVED, RULES, NOW) == ()
    # Outside both the 30-day fatigue window and the 7-day pressure window.
    out_of_window = reachable(surveys=counted(2, days=31))
    assert len(plan_surveys(out_of_window, RESOLVED, RULES, NOW)) == 2


def test_the_shared_contact_pressure_budget_includes_notifications() -> None:
    pressed = reachable(notifications=counted(2, days=3))
    assert kinds(*plan_surveys(pressed, RESOLVED, RULES, NOW)) == [SurveyKind.CSAT]
    full = reachable(notifications=counted(3, days=6))
    assert plan_surveys(full, RESOLVED, RULES, NOW) == ()
    last_week = reachable(notifications=counted(3, days=8))
    assert len(plan_surveys(last_week, RESOLVED, RULES, NOW)) == 2


def test_surveys_count_against_the_pressure_budget_too() -> None:
    generous = SurveyRules(fatigue_cap=10)
    state = reachable(surveys=counted(2, days=1), notifications=counted(1, days=1, prefix="n"))
    assert plan_surveys(state, RESOLVED, generous, NOW) == ()


def test_never_without_consent_for_the_channel() -> None:
    assert plan_surveys(reachable(consents={}), RESOLVED, RULES, NOW) == ()
    revoked = reachable(consents={Channel.EMAIL: ChannelConsent(False, days_ago(1))})
    assert plan_surveys(revoked, RESOLVED, RULES, NOW) == ()
    # Consent for a channel a survey link cannot travel on is no consent for a survey.
    phone_only = reachable(consents={Channel.PHONE: ChannelConsent(True, days_ago(1))})
    assert plan_surveys(phone_only, RESOLVED, RULES, NOW) == ()


def test_preferred_channel_first_then_another_consented_one() -> None:
    consents = {
        Channel.EMAIL: ChannelConsent(True, days_ago(1)),
        Channel.SMS: ChannelConsent(True, days_ago(1)),
    }
    assert (
        survey_channel(reachable(preferred_channel=Channel.SMS, consents=consents)) == Channel.SMS
    )
    sms_refused = {**consents, Channel.SMS: ChannelConsent(False, days_ago(1))}
    state = reachable(preferred_channel=Channel.SMS, consents=sms_refused)
    assert survey_channel(state) == Channel.EMAIL


def test_never_to_an_erased_or_merged_away_contact() -> None:
    assert plan_surveys(reachable(erased=True), RESOLVED, RULES, NOW) == ()
    assert plan_surveys(reachable(merged_into="c2"), RESOLVED, RULES, NOW) == ()


def test_recording_a_request_counts_it_and_starts_the_nps_interval() -> None:
    state = recording_requests(reachable(), "e2", [("s1", SurveyKind.NPS)], NOW)
    assert state.surveys == (CountedMessage("s1", NOW),)
    assert state.last_nps_at == NOW
    assert state.handled_triggers == ("e2",)
    later = NOW + timedelta(days=1)
    assert plan_surveys(state, INTERACTION, RULES, later) == ()
