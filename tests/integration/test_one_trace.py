"""One HTTP call on contacts is followed, in one trace, through every Kafka hop to the end.

Resolving a case publishes CaseResolved → feedback requests a CSAT survey (SurveyRequested) →
notifications e-mails the invitation (NotificationSent) → metrics and contacts' 360° view consume
it. Spans are captured in memory from every service.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from aiosmtpd.controller import Controller
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rapport_contacts.bootstrap import create_app as contacts_app
from rapport_contacts.settings import ContactsSettings
from rapport_feedback.bootstrap import create_app as feedback_app
from rapport_feedback.settings import FeedbackSettings
from rapport_metrics.bootstrap import create_app as metrics_app
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.bootstrap import create_app as notifications_app
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import topics
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.suite


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def suite(
    service_env: dict[str, object], exporter: InMemorySpanExporter, smtp_port: int
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    spans = (SimpleSpanProcessor(exporter),)
    namespace = str(service_env["mongo_database"])

    def env(service: str) -> dict[str, object]:
        return {**service_env, "mongo_database": f"{namespace}_{service}"}

    apps = {
        "contacts": contacts_app(ContactsSettings(**env("contacts")), span_processors=spans),
        "feedback": feedback_app(FeedbackSettings(**env("feedback")), span_processors=spans),
        "notifications": notifications_app(
            NotificationsSettings(
                **env("notifications"),
                smtp_port=smtp_port,
                quiet_hours_start="00:00",
                quiet_hours_end="00:00",
            ),
            span_processors=spans,
        ),
        "metrics": metrics_app(MetricsSettings(**env("metrics")), span_processors=spans),
    }
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(serving(app)) for name, app in apps.items()}


async def test_one_trace_covers_http_every_produce_and_every_consume(service_env, namespace):
    exporter = InMemorySpanExporter()
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with suite(service_env, exporter, port) as clients:
            contacts = clients["contacts"]
            now = datetime.now(UTC).isoformat()
            registered = await contacts.post(
                "/contacts",
                json={
                    "profile": {
                        "name": "Nagy Péter",
                        "email": "peter.nagy@example.hu",
                        "language": "hu-HU",
                        "time_zone": "Europe/Budapest",
                        "country": "HU",
                        "currency": "HUF",
                    },
                    "consents": [
                        {
                            "channel": "email",
                            "granted": True,
                            "source": "web-form",
                            "changed_at": now,
                        }
                    ],
                },
            )
            assert registered.status_code == 201, registered.text
            contact_id = registered.json()["contact_id"]
            logged = await contacts.post(
                f"/contacts/{contact_id}/interactions",
                json={
                    "channel": "email",
                    "direction": "inbound",
                    "kind": "support",
                    "case_id": "case-1",
                },
            )
            assert logged.status_code == 201, logged.text
            exporter.clear()

            resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-1/resolve", json={})
            assert resolved.status_code in (200, 201), resolved.text

            expected = expected_hops(f"{namespace}.")

            async def whole_trace_seen() -> bool:
                return not missing(exporter.get_finished_spans(), expected)

            await eventually(whole_trace_seen, timeout=60)
    finally:
        smtp.stop()

    assert missing(exporter.get_finished_spans(), expected) == []
    assert inbox.messages, "the survey invitation e-mail was sent"


def expected_hops(prefix: str) -> list[tuple[str, str]]:
    """(service, span name) pairs the resolve call's trace must contain."""
    return [
        ("contacts", f"{prefix}{topics.CONTACTS} publish"),
        ("feedback", f"{prefix}{topics.CONTACTS} receive"),
        ("feedback", f"{prefix}{topics.FEEDBACK} publish"),
        ("notifications", f"{prefix}{topics.FEEDBACK} receive"),
        ("notifications", "email send"),
        ("notifications", f"{prefix}{topics.NOTIFICATIONS} publish"),
        ("metrics", f"{prefix}{topics.NOTIFICATIONS} receive"),
        ("contacts", f"{prefix}{topics.NOTIFICATIONS} receive"),
    ]


def missing(
    spans: Sequence[ReadableSpan], expected: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    http = [
        s for s in spans if s.name.startswith("POST /contacts/{contact_id}/cases/{case_id}/resolve")
    ]
    if not http:
        return expected
    trace_id = http[0].context.trace_id
    present = {
        (s.resource.attributes.get("service.name"), s.name)
        for s in spans
        if s.context.trace_id == trace_id
    }
    return [hop for hop in expected if hop not in present]
