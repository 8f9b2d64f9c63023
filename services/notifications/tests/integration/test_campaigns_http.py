"""The campaigns API over HTTP: scopes, a 4xx naming the field for every bad request, a replayed
Idempotency-Key, and a campaign scheduled for later that launches nothing before its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport_notifications.bootstrap import create_app
from services.notifications.tests.integration.conftest import SettableClock
from tests.support.services import serving

pytestmark = pytest.mark.integration
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SPRING = {"name": "Spring", "messages": {"en": {"subject": "Hello {name}", "body": "From {brand}"}}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Spring"}, "either messages"),
        ({**SPRING, "audience": {"countries": ["Turkey"]}}, "countries"),
        ({**SPRING, "audience": {"nps": ["fans"]}}, "nps"),
        ({**SPRING, "audience": {"planet": "Mars"}}, "planet"),
        ({**SPRING, "over_budget": "shout"}, "over_budget"),
        ({**SPRING, "send_at": "tomorrow"}, "send_at"),
        ({**SPRING, "send_at": "2026-12-01T09:00:00"}, "send_at"),  # no time zone
        ({**SPRING, "messages": {"en": {"subject": "a\r\nBcc: x", "body": "b"}}}, "subject"),
        ({**SPRING, "template": "sla_breach_warning", "messages": {}}, "template"),
    ],
)
async def test_a_bad_campaign_is_refused_naming_the_field(
    settings_for: Any, body: dict[str, Any], field: str
) -> None:
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))) as client:
        response = await client.post("/campaigns", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_scopes_replays_and_a_campaign_that_waits_for_its_time(settings_for: Any) -> None:
    later = (DAYTIME + timedelta(days=1)).isoformat()
    async with serving(create_app(settings_for(), clock=SettableClock(DAYTIME))) as client:
        read_only = {"Authorization": "Bearer read-only"}
        refused = await client.post("/campaigns", json=SPRING, headers=read_only)
        body = {**SPRING, "send_at": later}
        key = {"Idempotency-Key": "spring-2026"}
        created = await client.post("/campaigns", json=body, headers=key)
        replayed = await client.post("/campaigns", json=body, headers=key)
        reused = await client.post("/campaigns", json={**body, "name": "Autumn"}, headers=key)
        campaign_id = created.json()["campaign_id"]
        shown = await client.get(f"/campaigns/{campaign_id}")
        missing = await client.get("/campaigns/no-such-campaign")

    assert refused.status_code == 403
    assert created.status_code == 201 and created.headers["Location"] == f"/campaigns/{campaign_id}"
    assert replayed.json()["campaign_id"] == campaign_id
    assert reused.status_code == 409 and "Idempotency-Key" in reused.text
    assert shown.status_code == 200
    assert shown.json()["state"] == "scheduled" and shown.json()["progress"]["targeted"] == 0
    assert missing.status_code == 404 and "campaign_id" in missing.text
