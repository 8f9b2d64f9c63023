"""Sample placeholder values and cards shared by the unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, time

from rapport_notifications.domain.compose import CompositionContext
from rapport_notifications.domain.directory import ConsentRecord, ContactCard
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_schemas.contacts import ContactProfile

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CONTEXT = CompositionContext(
    now=NOW,
    brand="Rapport",
    answer_base_url="https://rapport.example/answers",
    sign_survey_link=lambda survey_id, expires_at: f"signed-{survey_id}",
    business_day_end=time(18, 0),
    complaint_reply_business_days=1,
    detractor_follow_up_business_days=2,
)
PROFILE = ContactProfile(
    name="Ayşe Yılmaz",
    email="ayse@example.com.tr",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
)
FACTS = {
    Template.WELCOME: {},
    Template.SURVEY_INVITATION: {
        "survey_id": "s-1",
        "kind": "nps",
        "expires_at": "2026-12-01T00:00:00+00:00",
    },
    Template.COMPLAINT_ACKNOWLEDGEMENT: {
        "reference": "CASE-42",
        "occurred_at": NOW.isoformat(),
        "response_due_at": None,
    },
    Template.PURCHASE_THANK_YOU: {
        "amount": "1234.50",
        "currency": "EUR",
        "order_ref": "ORD-7",
        "occurred_at": NOW.isoformat(),
    },
    Template.DETRACTOR_FOLLOW_UP: {},
    Template.DETRACTOR_ALERT: {
        "reason": "nps_detractor",
        "score": 3,
        "detected_at": NOW.isoformat(),
    },
    Template.SLA_BREACH_WARNING: {
        "interaction_id": "i-9",
        "channel": "email",
        "due_at": "2026-11-24T05:30:00+00:00",
    },
}


def plan(template: Template, **changes: object) -> PlannedDelivery:
    fields: dict[str, object] = {
        "trigger_event_id": "evt-1",
        "template": template,
        "contact_id": "c1",
        "received_at": NOW,
        "facts": FACTS[template],
    }
    fields.update(changes)
    return PlannedDelivery(**fields)  # type: ignore[arg-type]


def card(**changes: object) -> ContactCard:
    consent = ConsentRecord(granted=True, source="signup-form", changed_at=NOW)
    fields: dict[str, object] = {
        "contact_id": "c1",
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.com.tr",
        "phone": "+905321234567",
        "language": "tr-TR",
        "time_zone": "Europe/Istanbul",
        "country": "TR",
        "account_owner": "agent-7",
        "consents": {"email": consent},
        "profile_at": NOW,  # registered (a card is complete once its profile is folded)
    }
    fields.update(changes)
    return ContactCard.model_validate(fields)
