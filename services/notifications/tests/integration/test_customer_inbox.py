"""The in-app inbox over HTTP as the customer's own client uses it, against the real broker and
MongoDB-wire server: an inbox token opens one contact's inbox; read/unread, archive and the
unread count are kept per message; the operator's API key opens no customer inbox."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rapport_notifications.bootstrap import create_app
from rapport_schemas.common import Channel
from rapport_schemas.contacts import PurchaseRecorded
from services.notifications.tests.integration.conftest import SettableClock
from services.notifications.tests.integration.helpers import (
    consent,
    publish,
    registered,
    source_event,
)
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
DAYTIME = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Budapest


async def test_the_customers_client_reads_marks_and_archives_its_own_messages(
    settings_for: Any, infra: Any, namespace: str
) -> None:
    in_app = (consent(Channel.IN_APP),)
    events = [
        source_event(registered("reka", consents=in_app)),
        source_event(
            PurchaseRecorded(
                purchase_id="p-1",
                contact_id="reka",
                amount=Decimal("45000"),
                currency="HUF",
                occurred_at=DAYTIME,
                order_ref="ORD-19",
            )
        ),
        source_event(registered("zsolt", consents=in_app)),
    ]
    app = create_app(settings_for(), clock=SettableClock(DAYTIME))
    async with serving(app) as operator:
        for event in events:
            await publish(infra.kafka_bootstrap, namespace, event)
        reka = await _customer(operator, app, "reka")
        zsolt = await _customer(operator, app, "zsolt")

        async def unread() -> int:
            response = await reka.get("/inbox/unread-count")
            assert response.status_code == 200, response.text
            return int(response.json()["unread"])

        await eventually(unread, expected=2, timeout=60)
        page = (await reka.get("/inbox")).json()
        assert page["unread"] == 2 and [m["read"] for m in page["messages"]] == [False, False]
        newest, oldest = (m["notification_id"] for m in page["messages"])

        read = await reka.patch(f"/inbox/messages/{oldest}", json={"read": True})
        assert read.status_code == 200 and read.json()["read"] and read.json()["read_at"]
        assert await unread() == 1
        archived = await reka.patch(f"/inbox/messages/{newest}", json={"archived": True})
        assert archived.status_code == 200 and archived.json()["archived"]
        assert await unread() == 0
        listed = (await reka.get("/inbox")).json()["messages"]
        assert [m["notification_id"] for m in listed] == [oldest]
        everything = (await reka.get("/inbox", params={"archived": "true"})).json()["messages"]
        assert len(everything) == 2
        again = await reka.patch(f"/inbox/messages/{oldest}", json={"read": False})
        assert again.json()["read"] is False and again.json()["read_at"] is None
        assert await unread() == 1
        after = (await reka.get("/inbox")).json()
        print(f"\n[GET /inbox after the marks] unread={after['unread']}", after["messages"][0])

        # Zsolt's token opens Zsolt's inbox only; Réka's message is not his to mark.
        async def zsolt_unread() -> int:
            return int((await zsolt.get("/inbox/unread-count")).json()["unread"])

        await eventually(zsolt_unread, expected=1, timeout=60)
        foreign = await zsolt.patch(f"/inbox/messages/{oldest}", json={"read": True})
        assert foreign.status_code == 404
        nothing = await reka.patch(f"/inbox/messages/{oldest}", json={})
        assert nothing.status_code == 422

        for headers in ({"Authorization": "Bearer test-key"}, {"Authorization": ""}):
            refused = await operator.get("/inbox", headers=headers)
            assert refused.status_code == 401, headers  # an API key is no inbox token
        token = reka.headers["Authorization"]
        staff_only = await operator.get("/contacts/reka/inbox", headers={"Authorization": token})
        assert staff_only.status_code == 401  # and an inbox token is no API key
        seen_by_staff = (await operator.get("/contacts/reka/inbox")).json()
        assert sorted(m["archived"] for m in seen_by_staff) == [False, True]


async def _customer(
    operator: httpx.AsyncClient, app: FastAPI, contact_id: str
) -> httpx.AsyncClient:
    """A client holding the contact's inbox token, as the operator's app hands it over."""
    issued = await operator.post(f"/contacts/{contact_id}/inbox-token")
    assert issued.status_code == 201, issued.text
    assert issued.json()["contact_id"] == contact_id
    token = issued.json()["token"]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # the same in-process service
        base_url="http://service",
        headers={"Authorization": f"Bearer {token}"},
    )
