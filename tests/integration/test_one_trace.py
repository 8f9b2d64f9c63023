"""One HTTP call on contacts is followed, in one trace, through every Kafka hop to the end.

Resolving a case publishes CaseResolved → feedback requests a CSAT survey (SurveyRequested) →
notifications e-mails the invitation (NotificationSent) → metrics and contacts' 360° view consume
it. Spans are captured in memory from every service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rapport_schemas import topics
from tests.support.kafka import eventually
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite


async def test_one_trace_covers_http_every_produce_and_every_consume(service_env, namespace):
    exporter = InMemorySpanExporter()
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with running_suite(service_env, (SimpleSpanProcessor(exporter),), port) as clients:
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
