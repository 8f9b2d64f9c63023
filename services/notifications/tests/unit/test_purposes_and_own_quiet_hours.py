"""Consent per purpose and the contact's own quiet hours, as ``decide`` applies them."""

from __future__ import annotations

from datetime import time, timedelta

from rapport_notifications.domain.decision import NO_CONSENT, Fail, Postpone, Send, decide
from rapport_notifications.domain.directory import ConsentRecord
from rapport_notifications.domain.purposes import carries_unsubscribe, purpose_of
from rapport_notifications.domain.templates import Template
from rapport_schemas.common import Purpose
from rapport_schemas.contacts import QuietHours
from services.notifications.tests.unit.samples import NOW, card, plan
from services.notifications.tests.unit.test_decisions import POLICY

EMAIL = ConsentRecord(granted=True, source="signup-form", changed_at=NOW - timedelta(days=9))
NO_SURVEYS = ConsentRecord(
    granted=False, source="one-click-unsubscribe", changed_at=NOW, purpose=Purpose.SURVEYS
)


def test_each_template_has_its_purpose_and_only_non_transactional_ones_unsubscribe() -> None:
    assert purpose_of(Template.SURVEY_INVITATION) is Purpose.SURVEYS
    assert purpose_of(Template.WELCOME) is Purpose.SERVICE
    assert purpose_of(Template.CAMPAIGN) is Purpose.MARKETING
    unsubscribing = [Template.SURVEY_INVITATION, Template.CAMPAIGN]
    assert [t for t in Template if carries_unsubscribe(t)] == unsubscribing


def test_a_withdrawn_purpose_stops_its_messages_and_no_other() -> None:
    recipient = card(consents={"email": EMAIL, "email:surveys": NO_SURVEYS})
    survey = decide(plan(Template.SURVEY_INVITATION), recipient, now=NOW, policy=POLICY)
    welcome = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert survey == Fail(NO_CONSENT)
    assert isinstance(welcome, Send) and welcome.route.consent is not None
    assert welcome.route.consent.source == "signup-form"


def test_a_purpose_granted_after_a_channel_withdrawal_sends_with_that_consent() -> None:
    withdrawn = ConsentRecord(granted=False, source="support-call", changed_at=NOW - timedelta(1))
    surveys = NO_SURVEYS.model_copy(update={"granted": True, "source": "preference-center"})
    recipient = card(consents={"email": withdrawn, "email:surveys": surveys})
    survey = decide(plan(Template.SURVEY_INVITATION), recipient, now=NOW, policy=POLICY)
    assert isinstance(survey, Send) and survey.route.consent is not None
    assert (survey.route.consent.source, survey.route.consent.purpose) == (
        "preference-center",
        Purpose.SURVEYS,
    )
    welcome = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert welcome == Fail(NO_CONSENT)


def test_the_contacts_own_quiet_hours_replace_the_default() -> None:
    # NOW is 12:00 in Istanbul: outside the default 21:00–08:00, inside the contact's 11–13.
    own = QuietHours(start=time(11), end=time(13))
    recipient = card(consents={"email": EMAIL}).model_copy(update={"quiet_hours": own})
    held = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert isinstance(held, Postpone) and held.reason == "quiet_hours"
    assert held.until == NOW + timedelta(hours=1)  # 13:00 in Istanbul


def test_without_own_quiet_hours_the_default_applies() -> None:
    recipient = card(consents={"email": EMAIL})
    late = NOW + timedelta(hours=10)  # 22:00 in Istanbul
    held = decide(plan(Template.WELCOME), recipient, now=late, policy=POLICY)
    assert isinstance(held, Postpone) and held.reason == "quiet_hours"
    none = QuietHours(start=time(0), end=time(0))  # the contact wants no quiet hours
    awake = recipient.model_copy(update={"quiet_hours": none})
    sent = decide(plan(Template.WELCOME), awake, now=late, policy=POLICY)
    assert isinstance(sent, Send)
