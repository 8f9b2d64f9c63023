"""How each event changes a contact's 360° view document (pure functions on plain dicts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from rapport_kit.projection import Document
from rapport_schemas import EventData
from rapport_schemas.consents import consent_key
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
    PurchaseRecorded,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyAnsweredV1
from rapport_schemas.notifications import NotificationSent

Fold = Callable[[Document, Any, int], Document]


def empty_view(contact_id: str) -> Document:
    """A view can start with another service's event, before the registration arrives."""
    return {
        "contact_id": contact_id,
        "status": "unknown",
        "profile": None,
        "consents": {},
        "timeline_pages": [],
        "purchases": [],
        "purchase_count": 0,
        "lifetime_value": {},
        "latest_scores": {},
        "open_cases": [],
        "open_complaints": [],
        "notifications_sent": 0,
        "recent_notifications": [],
        "merged_into": None,
        "merged_from": [],
    }


def newest(items: Iterable[Document], *, at: str, identity: str, limit: int) -> list[Document]:
    """Deduplicated by ``identity``, time-ordered, only the newest ``limit`` kept."""
    unique = {item[identity]: item for item in items}
    return sorted(unique.values(), key=lambda item: item[at])[-limit:]


def registered(view: Document, data: ContactRegistered, limit: int) -> Document:
    """v2 brings the profile's facts (the personal part is joined on reading), v1 all of it."""
    consents = {consent_key(c): c.model_dump(mode="json") for c in data.consents}
    return {
        **view,
        "status": "active" if view["status"] == "unknown" else view["status"],
        "profile": data.profile.model_dump(mode="json"),
        "consents": {**view["consents"], **consents},
        "registered_at": data.registered_at,
        "referred_by": data.referred_by,
    }


def updated(view: Document, data: ContactUpdated, limit: int) -> Document:
    """The whole profile (v1) or all its facts (v2): the personal fields a v1 event brought stay
    until a personal record replaces them (a v2 update that changed no personal field has none)."""
    return {**view, "profile": {**(view["profile"] or {}), **data.profile.model_dump(mode="json")}}


def consent_changed(view: Document, data: ContactConsentChanged, limit: int) -> Document:
    consent = data.consent
    return {
        **view,
        "consents": {**view["consents"], consent_key(consent): consent.model_dump(mode="json")},
    }


def interaction_logged(view: Document, data: InteractionLogged, limit: int) -> Document:
    complaints = [
        c
        for c in view["open_complaints"]
        if c["case_id"] is not None or c["interaction_id"] != data.in_reply_to
    ]
    if data.kind is InteractionKind.COMPLAINT and data.direction is Direction.INBOUND:
        complaints.append(
            {
                "interaction_id": data.interaction_id,
                "case_id": data.case_id,
                "channel": data.channel.value,
                "received_at": data.occurred_at,
                "response_due_at": data.response_due_at,
            }
        )
    cases = view["open_cases"]
    if data.case_id is not None:
        cases = _counted_in_case(cases, data)
    complaints = newest(complaints, at="received_at", identity="interaction_id", limit=limit)
    return {**view, "open_complaints": complaints, "open_cases": cases}


def case_resolved(view: Document, data: CaseResolved, limit: int) -> Document:
    return {
        **view,
        "open_cases": [c for c in view["open_cases"] if c["case_id"] != data.case_id],
        "open_complaints": [c for c in view["open_complaints"] if c["case_id"] != data.case_id],
    }


def purchase_recorded(view: Document, data: PurchaseRecorded, limit: int) -> Document:
    purchase = {
        "purchase_id": data.purchase_id,
        "amount": str(data.amount),
        "currency": data.currency,
        "occurred_at": data.occurred_at,
        "order_ref": data.order_ref,
    }
    purchases = newest(
        [*view["purchases"], purchase], at="occurred_at", identity="purchase_id", limit=limit
    )
    value = add_money(view["lifetime_value"], {data.currency: str(data.amount)})
    return {
        **view,
        "purchases": purchases,
        "purchase_count": view["purchase_count"] + 1,
        "lifetime_value": value,
    }


def survey_answered(view: Document, data: SurveyAnswered, limit: int) -> Document:
    answer = {
        "score": data.score,
        "answered_at": data.answered_at,
        "survey_id": data.survey_id,
        # v2: the comment is a personal record, joined on reading (``personal.with_texts``)
        "comment": data.comment if isinstance(data, SurveyAnsweredV1) else None,
        "has_comment": data.has_comment,
    }
    return {
        **view,
        "latest_scores": latest_scores(view["latest_scores"], {data.kind.value: answer}),
    }


def notification_sent(view: Document, data: NotificationSent, limit: int) -> Document:
    sent = data.model_dump(
        include={"notification_id", "template", "channel", "locale", "transactional", "internal"},
        mode="json",
    )
    recent = newest(
        [*view["recent_notifications"], {**sent, "sent_at": data.sent_at}],
        at="sent_at",
        identity="notification_id",
        limit=limit,
    )
    return {
        **view,
        "notifications_sent": view["notifications_sent"]
        + int(not data.internal),  # to the customer
        "recent_notifications": recent,
    }


# Looked up by the exact type: a v1 (history) folds as its v2 does.
FOLDS: dict[type[EventData], Fold] = {
    ContactRegistered: registered,
    ContactRegisteredV1: registered,
    ContactUpdated: updated,
    ContactUpdatedV1: updated,
    ContactConsentChanged: consent_changed,
    InteractionLogged: interaction_logged,
    InteractionLoggedV1: interaction_logged,
    CaseResolved: case_resolved,
    PurchaseRecorded: purchase_recorded,
    SurveyAnswered: survey_answered,
    SurveyAnsweredV1: survey_answered,
    NotificationSent: notification_sent,
}


def add_money(total: dict[str, str], more: dict[str, str]) -> dict[str, str]:
    """Per-currency sums as decimal strings (never floats: money must add up exactly)."""
    summed = dict(total)
    for currency, amount in more.items():
        summed[currency] = str(Decimal(summed.get(currency, "0")) + Decimal(amount))
    return summed


def latest_scores(current: Document, newer: Document) -> Document:
    scores = dict(current)
    for kind, answer in newer.items():
        if kind not in scores or scores[kind]["answered_at"] <= answer["answered_at"]:
            scores[kind] = answer
    return scores


def _counted_in_case(cases: list[Document], data: InteractionLogged) -> list[Document]:
    current = next((c for c in cases if c["case_id"] == data.case_id), None)
    if current is None:
        case = {
            "case_id": data.case_id,
            "opened_at": data.occurred_at,
            "channel": data.channel.value,
            "kind": data.kind.value,
            "interaction_count": 1,
        }
        return [*cases, case]
    counted = {
        **current,
        "opened_at": min(current["opened_at"], data.occurred_at),
        "interaction_count": current["interaction_count"] + 1,
    }
    return [counted if c is current else c for c in cases]
