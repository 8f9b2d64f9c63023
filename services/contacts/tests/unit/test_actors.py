"""Every change names its actor in its event and in the 360° view's timeline: the API key's
identity (a digest, never the key), the agent who logged an interaction, or the SLA scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from rapport_contacts.domain import model
from rapport_contacts.entrypoints import activity, errors, http
from rapport_contacts.service_layer.sla import SlaScheduler
from rapport_contacts.service_layer.unit import Ports, envelope
from rapport_contacts.views.contact_view import ContactView
from rapport_kit.callers import key_identity
from rapport_kit.projection import ProjectedEvent, fold
from rapport_schemas.contacts import Actor, ActorKind, ContactEvent, ContactProfile
from services.contacts.tests.unit.fakes import fake_ports, repository, timeline_of
from tests.support.in_memory import SettableClock

NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
KEY = "a-long-random-api-key-of-the-crm"
AYSE = {
    "name": "Ayşe Yılmaz",
    "email": "ayse.yilmaz@example.com.tr",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
}


class Counters:
    def count_check(self) -> None: ...

    def count_breach(self, channel: str) -> None: ...


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(NOW)


@pytest.fixture
def ports(clock: SettableClock) -> Ports:
    return fake_ports(clock)


@pytest.fixture
async def client(ports: Ports) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.ports = ports
    app.state.api_keys = {KEY: ["*"]}
    app.include_router(http.router)
    app.include_router(activity.router)
    errors.install(app)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def test_changes_over_http_name_the_api_key_and_agents_their_own_interactions(
    client: httpx.AsyncClient, ports: Ports, clock: SettableClock
) -> None:
    contact_id = (await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]
    await client.patch(f"/contacts/{contact_id}", json={"company": "Örnek Ticaret"})
    call = {"channel": "live_chat", "direction": "inbound", "kind": "support"}
    await client.post(f"/contacts/{contact_id}/interactions", json={**call, "agent_id": "agent_7"})
    await client.post(f"/contacts/{contact_id}/purchases", json={"amount": "5", "currency": "TRY"})
    clock.now += timedelta(days=3)
    await SlaScheduler(ports, Counters(), interval=1).check_once()

    caller = Actor(kind=ActorKind.API_KEY, id=key_identity(KEY))
    agent = Actor(kind=ActorKind.AGENT, id="agent_7")
    scheduler = Actor(kind=ActorKind.SYSTEM, id="sla-scheduler")
    events = [e for e in repository(ports).events(contact_id) if isinstance(e, ContactEvent)]
    assert [e.actor for e in events] == [caller, caller, agent, caller, scheduler]
    assert KEY not in caller.id and caller.id.startswith("apikey-")


async def test_the_timeline_shows_each_items_actor() -> None:
    actor = Actor(kind=ActorKind.API_KEY, id="apikey-0123456789abcdef")
    profile = ContactProfile.model_validate(AYSE)
    contact, [registered, _] = model.register_contact(profile, (), referred_by=None, now=NOW)
    published = envelope(registered, NOW, actor=actor)

    view = fold(ContactView(), {}, [ProjectedEvent(published, "contacts", 0, 0)]).changed

    [item] = await timeline_of(view, contact.contact_id)
    assert item["actor"] == {"kind": "api_key", "id": "apikey-0123456789abcdef"}
    assert "actor" not in item["details"]
