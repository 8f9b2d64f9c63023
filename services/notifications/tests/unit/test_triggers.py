from __future__ import annotations

from datetime import UTC, datetime

from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import planned_deliveries
from rapport_schemas import wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind, InteractionLogged
from rapport_schemas.feedback import DetractorDetected, DetractorReason

AT = datetime(2026, 11, 24, 9, tzinfo=UTC)


def interaction(kind: InteractionKind, direction: Direction) -> InteractionLogged:
    return InteractionLogged(
        interaction_id="i1",
        contact_id="c1",
        channel=Channel.EMAIL,
        direction=direction,
        kind=kind,
        occurred_at=AT,
    )


def test_only_an_inbound_complaint_is_acknowledged() -> None:
    complaint = wrap(interaction(InteractionKind.COMPLAINT, Direction.INBOUND), source="/t")
    assert [p.template for p in planned_deliveries(complaint, AT)] == [
        Template.COMPLAINT_ACKNOWLEDGEMENT
    ]
    for kind, direction in [
        (InteractionKind.SUPPORT, Direction.INBOUND),
        (InteractionKind.COMPLAINT, Direction.OUTBOUND),
    ]:
        assert planned_deliveries(wrap(interaction(kind, direction), source="/t"), AT) == []


def test_a_detractor_gets_a_follow_up_and_the_owner_an_alert() -> None:
    event = wrap(
        DetractorDetected(
            contact_id="c1",
            reason=DetractorReason.NPS_DETRACTOR,
            detected_at=AT,
            score=2,
            account_owner="a7",
        ),
        source="/t",
    )
    plans = planned_deliveries(event, AT)
    assert [(p.template, p.recipient) for p in plans] == [
        (Template.DETRACTOR_FOLLOW_UP, "contact:c1"),
        (Template.DETRACTOR_ALERT, "agent:a7"),
    ]


def test_a_complaint_detractor_only_alerts_the_owner() -> None:
    event = wrap(
        DetractorDetected(contact_id="c1", reason=DetractorReason.COMPLAINT, detected_at=AT),
        source="/t",
    )
    assert [p.template for p in planned_deliveries(event, AT)] == [Template.DETRACTOR_ALERT]


def test_the_idempotency_key_and_ids_are_stable_per_trigger_template_and_recipient() -> None:
    event = wrap(interaction(InteractionKind.COMPLAINT, Direction.INBOUND), source="/t")
    first, again = planned_deliveries(event, AT)[0], planned_deliveries(event, AT)[0]
    assert first.key == again.key == f"{event.id}|complaint_acknowledgement|contact:c1"
    assert first.notification_id == again.notification_id
