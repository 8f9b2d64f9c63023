"""Which deliveries an event asks for: one per (trigger event, template, recipient)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapport_notifications.domain.templates import SPECS, Template
from rapport_schemas import CloudEvent, EventData
from rapport_schemas.contacts import (
    ContactRegistered,
    ContactRegisteredV1,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorDetectedV1,
    DetractorReason,
    SurveyRequested,
    SurveyRequestedV1,
)

Facts = dict[str, str | int | None]
# Stable ids: the same trigger always yields the same notification and outcome event ids.
NOTIFICATION_NAMESPACE = uuid.UUID("6f1c1d5e-5a0b-4b53-9a55-2f7f2b1f7e10")


@dataclass(frozen=True)
class PlannedDelivery:
    trigger_event_id: str
    template: Template
    contact_id: str  # the recipient, or for internal alerts the contact concerned
    received_at: datetime  # when this service took the trigger in (its own clock)
    facts: Facts = field(default_factory=dict)
    agent_id: str | None = None  # internal alerts: None means the account owner, else the team

    @property
    def internal(self) -> bool:
        return SPECS[self.template].internal

    @property
    def recipient(self) -> str:
        return (
            f"agent:{self.agent_id or 'owner'}" if self.internal else f"contact:{self.contact_id}"
        )

    @property
    def key(self) -> str:
        """The idempotency key: (trigger event, template, recipient)."""
        return f"{self.trigger_event_id}|{self.template.value}|{self.recipient}"

    @property
    def notification_id(self) -> str:
        return str(uuid.uuid5(NOTIFICATION_NAMESPACE, self.key))


def planned_deliveries(
    event: CloudEvent[EventData], received_at: datetime
) -> list[PlannedDelivery]:
    planner = _PLANNERS.get(type(event.data))
    return planner(event.id, event.data, received_at) if planner else []


def _welcome(event_id: str, data: ContactRegistered, at: datetime) -> list[PlannedDelivery]:
    return [PlannedDelivery(event_id, Template.WELCOME, data.contact_id, at)]


def _survey_invitation(event_id: str, data: SurveyRequested, at: datetime) -> list[PlannedDelivery]:
    # v1 records (still in the log) carried a token; it is ignored: the link is signed at sending.
    facts: Facts = {
        "survey_id": data.survey_id,
        "kind": data.kind.value,
        "expires_at": data.expires_at.isoformat(),
    }
    return [PlannedDelivery(event_id, Template.SURVEY_INVITATION, data.contact_id, at, facts)]


def _complaint_acknowledgement(
    event_id: str, data: InteractionLogged, at: datetime
) -> list[PlannedDelivery]:
    if data.kind is not InteractionKind.COMPLAINT or data.direction is not Direction.INBOUND:
        return []
    due = data.response_due_at.isoformat() if data.response_due_at else None
    facts: Facts = {
        "reference": data.case_id or data.interaction_id,
        "occurred_at": data.occurred_at.isoformat(),
        "response_due_at": due,
    }
    template = Template.COMPLAINT_ACKNOWLEDGEMENT
    return [PlannedDelivery(event_id, template, data.contact_id, at, facts)]


def _purchase_thank_you(
    event_id: str, data: PurchaseRecorded, at: datetime
) -> list[PlannedDelivery]:
    facts: Facts = {
        "amount": str(data.amount),
        "currency": data.currency,
        "order_ref": data.order_ref or data.purchase_id,
        "occurred_at": data.occurred_at.isoformat(),
    }
    return [PlannedDelivery(event_id, Template.PURCHASE_THANK_YOU, data.contact_id, at, facts)]


def _detractor(event_id: str, data: DetractorDetected, at: datetime) -> list[PlannedDelivery]:
    facts: Facts = {
        "reason": data.reason.value,
        "score": data.score,
        "detected_at": data.detected_at.isoformat(),
    }
    alert = PlannedDelivery(
        event_id, Template.DETRACTOR_ALERT, data.contact_id, at, facts, data.account_owner
    )
    if data.reason is DetractorReason.COMPLAINT:
        return [alert]  # the customer already got the complaint acknowledgement
    follow_up = PlannedDelivery(event_id, Template.DETRACTOR_FOLLOW_UP, data.contact_id, at)
    return [follow_up, alert]


def _sla_breach_warning(event_id: str, data: SlaBreached, at: datetime) -> list[PlannedDelivery]:
    facts: Facts = {
        "interaction_id": data.interaction_id,
        "channel": data.channel.value,
        "due_at": data.due_at.isoformat(),
    }
    template = Template.SLA_BREACH_WARNING
    return [PlannedDelivery(event_id, template, data.contact_id, at, facts, data.agent_id)]


_PLANNERS: dict[type[EventData], Callable[[str, Any, datetime], list[PlannedDelivery]]] = {
    ContactRegistered: _welcome,
    ContactRegisteredV1: _welcome,
    SurveyRequested: _survey_invitation,
    SurveyRequestedV1: _survey_invitation,
    InteractionLogged: _complaint_acknowledgement,
    InteractionLoggedV1: _complaint_acknowledgement,
    PurchaseRecorded: _purchase_thank_you,
    DetractorDetected: _detractor,
    DetractorDetectedV1: _detractor,
    SlaBreached: _sla_breach_warning,
}
