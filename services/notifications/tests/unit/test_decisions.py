from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from rapport_notifications.domain.decision import (
    CONTACT_ERASED,
    FREQUENCY_CAP,
    NO_CONSENT,
    UNKNOWN_CONTACT,
    DeliveryPolicy,
    Fail,
    Postpone,
    Send,
    Wait,
    decide,
)
from rapport_notifications.domain.directory import ConsentRecord
from rapport_notifications.domain.pressure import Capped, refused
from rapport_notifications.domain.quiet_hours import DeliveryWindow
from rapport_notifications.domain.templates import Template
from rapport_schemas.common import Channel
from services.notifications.tests.unit.samples import NOW, card, plan

POLICY = DeliveryPolicy(
    window=DeliveryWindow(quiet_start=time(21), quiet_end=time(8)),
    channel_order=[Channel.EMAIL, Channel.SMS, Channel.IN_APP],
    available_channels=frozenset({Channel.EMAIL, Channel.SMS, Channel.IN_APP}),
    internal_locale="en",
    internal_time_zone="UTC",
    team_email="team@example.org",
    agent_emails={"agent-7": "agent7@example.org"},
    unknown_contact_grace=timedelta(minutes=10),
)
GRANTED = ConsentRecord(granted=True, source="app-settings", changed_at=NOW)
REVOKED = ConsentRecord(granted=False, source="unsubscribe-link", changed_at=NOW)


def test_preferred_consented_channel_is_used_with_its_consent_as_proof() -> None:
    recipient = card(preferred_channel="sms", consents={"email": GRANTED, "sms": GRANTED})
    decision = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert isinstance(decision, Send)
    assert decision.route.channel is Channel.SMS and decision.route.address == "+905321234567"
    assert decision.route.consent is not None and decision.route.consent.source == "app-settings"
    assert (decision.locale, decision.time_zone) == ("tr-TR", "Europe/Istanbul")


def test_without_consent_for_the_preferred_channel_the_next_consented_one_is_used() -> None:
    recipient = card(preferred_channel="sms", consents={"sms": REVOKED, "in_app": GRANTED})
    decision = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert isinstance(decision, Send) and decision.route.channel is Channel.IN_APP


def test_no_consented_channel_fails_permanently_with_the_reason() -> None:
    recipient = card(consents={"email": REVOKED})
    decision = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert decision == Fail(NO_CONSENT)


def test_consent_without_an_address_does_not_count() -> None:
    recipient = card(email=None, consents={"email": GRANTED})
    decision = decide(plan(Template.WELCOME), recipient, now=NOW, policy=POLICY)
    assert decision == Fail(NO_CONSENT)


def test_quiet_hours_postpone_customer_messages_but_not_internal_alerts() -> None:
    night = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 23:00 in Istanbul
    customer = decide(plan(Template.WELCOME), card(), now=night, policy=POLICY)
    assert isinstance(customer, Postpone) and customer.channel is Channel.EMAIL
    alert = decide(plan(Template.DETRACTOR_ALERT), card(), now=night, policy=POLICY)
    assert isinstance(alert, Send) and alert.route.consent is None
    assert alert.route.address == "agent7@example.org"  # the account owner


def test_alerts_for_an_unknown_agent_go_to_the_team() -> None:
    alert = plan(Template.SLA_BREACH_WARNING, agent_id="agent-unknown")
    decision = decide(alert, card(), now=NOW, policy=POLICY)
    assert isinstance(decision, Send) and decision.route.address == "team@example.org"


def test_erased_contacts_get_nothing() -> None:
    erased = card(erased=True)
    for template in (Template.WELCOME, Template.DETRACTOR_ALERT):
        decision = decide(plan(template), erased, now=NOW, policy=POLICY)
        assert decision == Fail(CONTACT_ERASED)


def test_frequency_cap_stops_a_customer_message() -> None:
    """The cap is checked when the send reserves its entry (``pressure.py``); a refusal fails it
    on the channel it would have used."""
    thank_you = plan(Template.PURCHASE_THANK_YOU)
    send = decide(thank_you, card(), now=NOW, policy=POLICY)
    assert isinstance(send, Send)
    refusal = Capped("purchase_thank_you")
    assert refused(thank_you, send, refusal) == Fail(FREQUENCY_CAP, Channel.EMAIL)


def test_an_unknown_contact_is_waited_for_then_given_up() -> None:
    early = decide(plan(Template.WELCOME), None, now=NOW, policy=POLICY)
    assert isinstance(early, Wait) and early.until > NOW
    late = NOW + timedelta(hours=1)
    assert decide(plan(Template.WELCOME), None, now=late, policy=POLICY) == (Fail(UNKNOWN_CONTACT))
