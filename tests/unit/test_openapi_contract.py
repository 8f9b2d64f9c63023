"""Every service's OpenAPI document: stable camelCase operation ids, unique per service, a relative
server, and explicit security on every operation (the bearer scheme or ``security: []``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI

from rapport_contacts.bootstrap import create_app as contacts_app
from rapport_contacts.settings import ContactsSettings
from rapport_feedback.bootstrap import create_app as feedback_app
from rapport_feedback.settings import FeedbackSettings
from rapport_kit.http import require_scope
from rapport_metrics.bootstrap import create_app as metrics_app
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.bootstrap import create_app as notifications_app
from rapport_notifications.settings import NotificationsSettings

CAMEL_CASE = re.compile(r"^[a-z][a-zA-Z0-9]*$")
BEARER = [{"HTTPBearer": []}]
# Ids a client generated today calls; renaming one breaks every such client.
STABLE_IDS = {
    "contacts": {
        "registerContact",
        "updateContact",
        "logInteraction",
        "recordPurchase",
        "resolveCase",
        "changeConsent",
        "mergeContacts",
        "eraseContact",
        "readView",
    },
    "feedback": {"answerSurvey", "surveyPage", "responseRates"},
    "notifications": {
        "inbox",
        "createWebhookSubscription",
        "listWebhookSubscriptions",
        "getWebhookSubscription",
        "changeWebhookSubscription",
        "deleteWebhookSubscription",
        "enableWebhookSubscription",
        "disableWebhookSubscription",
        "rotateWebhookSecret",
        "replayWebhookEvents",
        "listWebhookDeliveries",
        "createCampaign",
        "getCampaign",
    },
    "metrics": {"listMetrics", "kpiSeries"},
}
# The operations anyone may call (a signed link or token is their credential): a reviewed list,
# so a route that drops its API key shows up here instead of passing unnoticed.
PUBLIC = {
    *("healthz", "readyz"),
    *("surveyPage", "submitSurveyPage", "thanksPage", "answerSurvey"),
    *("preferencePage", "savePreferences", "unsubscribePage", "oneClickUnsubscribe"),
}
# The customer's own client: the contact's inbox token, never an API key.
INBOX_TOKEN = [{"InboxToken": []}]
CUSTOMER_INBOX = {"customerInbox", "unreadCount", "markMessage"}


def apps() -> dict[str, FastAPI]:
    return {
        "contacts": contacts_app(ContactsSettings()),
        "feedback": feedback_app(FeedbackSettings()),
        "notifications": notifications_app(NotificationsSettings()),
        "metrics": metrics_app(MetricsSettings()),
    }


def operations(app: FastAPI) -> list[dict[str, Any]]:
    return [op for item in app.openapi()["paths"].values() for op in item.values()]


@pytest.mark.parametrize("service", sorted(STABLE_IDS))
def test_operation_ids_are_camel_case_unique_and_stable(service: str) -> None:
    ids = [op["operationId"] for op in operations(apps()[service])]
    assert all(CAMEL_CASE.match(i) for i in ids), ids
    assert len(ids) == len(set(ids)), f"duplicate operation ids in {service}: {sorted(ids)}"
    assert set(ids) >= STABLE_IDS[service]


@pytest.mark.parametrize("service", sorted(STABLE_IDS))
def test_every_operation_states_its_security(service: str) -> None:
    app = apps()[service]
    document = app.openapi()
    assert document["servers"] == [
        {"url": "/", "description": "This service, wherever it is reached."}
    ]
    for operation in operations(app):
        op_id = operation["operationId"]
        expected = [] if op_id in PUBLIC else INBOX_TOKEN if op_id in CUSTOMER_INBOX else BEARER
        assert operation["security"] == expected, operation["operationId"]


def test_routes_included_after_the_app_was_made_get_the_same_treatment() -> None:
    """The mechanism is the kit's, not a list: a route nobody has seen yet is covered too."""
    app = contacts_app(ContactsSettings())

    @app.get("/exports/{export_id}")
    async def read_contact_export(
        export_id: str, scope: Annotated[str, Depends(require_scope("contacts:read"))]
    ) -> dict[str, str]:
        return {"id": export_id, "scope": scope}

    @app.get("/status-page")
    async def show_status_page() -> dict[str, str]:
        return {"status": "ok"}

    by_id = {op["operationId"]: op for op in operations(app)}
    assert by_id["readContactExport"]["security"] == BEARER
    assert by_id["showStatusPage"]["security"] == []
