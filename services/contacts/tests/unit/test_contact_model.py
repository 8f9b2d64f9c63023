"""The contact aggregate: interactions, cases, SLA clocks, merges and erasure (pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from rapport_contacts.domain import merging, model
from rapport_contacts.domain.calendar import SlaPolicy
from rapport_contacts.domain.errors import CaseNotOpen, ContactMerged, InvalidMerge
from rapport_contacts.domain.interactions import (
    LogInteraction,
    breach_event_id,
    breach_overdue,
    log_interaction,
    resolve_case,
)
from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.contacts import ContactProfile, ContactUpdated, Direction, InteractionKind

POLICY = SlaPolicy()
MONDAY_EVENING = datetime(2026, 5, 18, 17, 0, tzinfo=UTC)  # 20:00 in Istanbul
DUE = datetime(2026, 5, 20, 15, 0, tzinfo=UTC)  # after the 19 May holiday


def contact(name: str = "Ayşe Yılmaz") -> model.Contact:
    profile = ContactProfile(
        name=name, language="tr-TR", time_zone="Europe/Istanbul", country="TR", currency="TRY"
    )
    registered, _ = model.register_contact(profile, (), referred_by=None, now=MONDAY_EVENING)
    return registered


def inbound(case_id: str | None = None, at: datetime = MONDAY_EVENING) -> LogInteraction:
    return LogInteraction(
        Channel.EMAIL, Direction.INBOUND, InteractionKind.COMPLAINT, at, case_id=case_id
    )


def answer(in_reply_to: str, case_id: str | None = None) -> LogInteraction:
    return LogInteraction(
        Channel.EMAIL,
        Direction.OUTBOUND,
        InteractionKind.COMPLAINT,
        MONDAY_EVENING + timedelta(hours=20),
        in_reply_to=in_reply_to,
        case_id=case_id,
    )


def test_an_inbound_complaint_starts_a_clock_due_in_the_business_calendar() -> None:
    waiting, event, _ = log_interaction(contact(), inbound(), policy=POLICY)
    assert event.awaits_response and event.response_due_at == DUE
    assert [c.due_at for c in waiting.clocks] == [DUE]
    assert waiting.next_due_at() == DUE


def test_a_meeting_or_an_outbound_message_waits_for_nothing() -> None:
    meeting = dataclasses.replace(inbound(), kind=InteractionKind.MEETING)
    after_meeting, event, _ = log_interaction(contact(), meeting, policy=POLICY)
    assert not event.awaits_response and event.response_due_at is None
    assert after_meeting.clocks == ()


def test_one_breach_per_missed_deadline_and_never_a_second() -> None:
    waiting, event, _ = log_interaction(contact(), inbound(), policy=POLICY)
    assert breach_overdue(waiting, now=DUE - timedelta(seconds=1))[1] == []
    breached, events = breach_overdue(waiting, now=DUE)
    assert [(e.interaction_id, e.due_at) for e in events] == [(event.interaction_id, DUE)]
    assert breached.clocks[0].breached and breached.next_due_at() is None
    assert breach_overdue(breached, now=DUE + timedelta(days=3))[1] == []
    assert breach_event_id(event.interaction_id) == breach_event_id(event.interaction_id)


def test_an_answer_in_time_stops_the_clock_so_nothing_is_breached() -> None:
    waiting, event, _ = log_interaction(contact(), inbound(), policy=POLICY)
    answered, _, _ = log_interaction(waiting, answer(event.interaction_id), policy=POLICY)
    assert answered.clocks == ()
    assert breach_overdue(answered, now=DUE + timedelta(days=1))[1] == []


def test_a_case_resolved_after_one_inbound_interaction_is_a_first_contact_resolution() -> None:
    opened, first, _ = log_interaction(contact(), inbound("case-1"), policy=POLICY)
    replied, _, _ = log_interaction(opened, answer(first.interaction_id, "case-1"), policy=POLICY)
    resolved_at = MONDAY_EVENING + timedelta(days=1)
    closed, event = resolve_case(replied, "case-1", resolved_at=resolved_at, agent_id="agent-7")
    assert event.first_contact and event.interaction_count == 2
    assert (event.opened_at, event.resolved_at, event.agent_id) == (
        MONDAY_EVENING,
        resolved_at,
        "agent-7",
    )
    assert closed.open_cases == ()
    with pytest.raises(CaseNotOpen):
        resolve_case(closed, "case-1", resolved_at=resolved_at, agent_id=None)


def test_a_customer_who_had_to_write_twice_was_not_helped_on_first_contact() -> None:
    opened, _, _ = log_interaction(contact(), inbound("case-2"), policy=POLICY)
    later = inbound("case-2", at=MONDAY_EVENING + timedelta(days=2))
    again, _, _ = log_interaction(opened, later, policy=POLICY)
    closed, event = resolve_case(again, "case-2", resolved_at=later.occurred_at, agent_id=None)
    assert not event.first_contact and event.interaction_count == 2
    assert closed.clocks == ()  # resolving the case answered what was still waiting


def test_merge_moves_open_cases_and_clocks_to_the_survivor_once() -> None:
    survivor, duplicate = contact(), contact("Ayse Yilmaz")
    duplicate, event, _ = log_interaction(duplicate, inbound("case-3"), policy=POLICY)
    merged, events = merging.mark_merged(duplicate, survivor, now=MONDAY_EVENING)
    assert [(e.contact_id, e.survivor_id) for e in events] == [
        (duplicate.contact_id, survivor.contact_id)
    ]
    assert merged.next_due_at() is None  # the survivor runs the clock now
    absorbed = merging.absorb(survivor, merged)
    assert [c.interaction_id for c in absorbed.clocks] == [event.interaction_id]
    assert [c.case_id for c in absorbed.open_cases] == ["case-3"]
    assert merging.absorb(absorbed, merged) == absorbed
    assert merging.mark_merged(merged, survivor, now=MONDAY_EVENING)[1] == []
    with pytest.raises(ContactMerged):
        log_interaction(merged, inbound(), policy=POLICY)
    with pytest.raises(InvalidMerge):
        merging.mark_merged(survivor, survivor, now=MONDAY_EVENING)


def test_erasure_keeps_only_the_proof_and_is_idempotent() -> None:
    erased, events, _ = model.erase(contact(), now=MONDAY_EVENING)
    assert vars(erased).keys() == {
        "contact_id",
        "erased_at",
        "version",
        "completion_pending",
        "completed_at",
    }
    assert [e.erased_at for e in events] == [MONDAY_EVENING]
    assert model.erase(erased, now=MONDAY_EVENING + timedelta(days=1)) == (erased, [], ())


def test_an_update_that_changes_nothing_publishes_nothing() -> None:
    current = contact()
    assert model.update_profile(current, current.profile, now=MONDAY_EVENING) == (current, [])
    renamed = current.profile.model_copy(update={"name": "Ayşe Demir"})
    _, [event, _] = model.update_profile(current, renamed, now=MONDAY_EVENING)
    assert isinstance(event, ContactUpdated) and event.changed_fields == ("name",)


def test_a_consent_per_purpose_is_kept_beside_the_channels() -> None:
    channel_wide = Consent(
        channel=Channel.EMAIL, granted=True, source="form", changed_at=MONDAY_EVENING
    )
    no_marketing = channel_wide.model_copy(
        update={"granted": False, "purpose": Purpose.MARKETING, "source": "preference-center"}
    )
    changed, _ = model.change_consent(contact(), channel_wide)
    changed, event = model.change_consent(changed, no_marketing)
    assert event.consent.purpose is Purpose.MARKETING
    assert set(changed.consents) == {channel_wide, no_marketing}
    changed, _ = model.change_consent(changed, no_marketing.model_copy(update={"granted": True}))
    assert len(changed.consents) == 2
