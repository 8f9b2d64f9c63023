"""The first slice end to end: HTTP on contacts → Kafka → metrics read model → HTTP on metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport_contacts.bootstrap import create_app as create_contacts
from rapport_contacts.settings import ContactsSettings
from rapport_metrics.bootstrap import create_app as create_metrics
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import decode, topics
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.suite

PROFILE = {
    "name": "Ayşe Yılmaz",
    "email": "ayse@example.com.tr",
    "phone": "+905321234567",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
}


async def test_interaction_logged_over_http_reaches_the_metrics_read_model(
    service_env, infra, namespace
):
    contacts_app = create_contacts(ContactsSettings(**service_env))
    metrics_app = create_metrics(MetricsSettings(**service_env))
    occurred = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    async with serving(contacts_app) as contacts, serving(metrics_app) as metrics:
        registered = await contacts.post("/contacts", json={"profile": PROFILE})
        assert registered.status_code == 201, registered.text
        contact_id = registered.json()["contact_id"]
        logged = await contacts.post(
            f"/contacts/{contact_id}/interactions",
            json={
                "channel": "email",
                "direction": "inbound",
                "kind": "complaint",
                "occurred_at": occurred.isoformat(),
            },
        )
        assert logged.status_code == 201, logged.text

        async def complaint_rate() -> list[dict[str, object]]:
            response = await metrics.get(
                "/kpis/complaint_rate",
                params={"window": "day", "segment_kind": "channel", "segment_value": "email"},
            )
            return response.json() if response.status_code == 200 else []

        points = await eventually(complaint_rate)
        assert [(p["window_start"], p["value"], p["n"], p["too_few"]) for p in points] == [
            ("2026-11-20", 100.0, 1, True)
        ]

    records = await read_until(
        infra.kafka_bootstrap, f"{namespace}.{topics.CONTACTS}", lambda rs: len(rs) >= 2
    )
    events = [decode(record.value) for record in records]
    assert [e.type for e in events] == [
        "rapport.contacts.contact_registered.v2",
        "rapport.contacts.interaction_logged.v2",
    ]
    assert all(record.key == contact_id.encode() for record in records)
    assert events[1].data.interaction_id == logged.json()["interaction_id"]  # type: ignore[attr-defined]
