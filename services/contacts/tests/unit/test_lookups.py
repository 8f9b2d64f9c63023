"""Looking a contact up by e-mail, phone or external id, with in-memory fakes over HTTP: the
normalization of registration, erased contacts not found, merged ones answered by their survivor,
and every parameter that does not fit named in a 422."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rapport_contacts.entrypoints import errors, http
from rapport_contacts.service_layer import lifecycle
from rapport_contacts.service_layer.unit import Ports
from services.contacts.tests.unit.fakes import fake_ports
from tests.support.in_memory import SettableClock

NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
AYSE = {
    "name": "Ayşe Yılmaz",
    "email": "Ayse.Yilmaz@example.com.tr",
    "phone": "+905321234567",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
    "external_ids": [{"source": "Zendesk", "id": "123"}, {"source": "shopify", "id": "A-9"}],
}


@pytest.fixture
def ports() -> Ports:
    return fake_ports(SettableClock(NOW))


@pytest.fixture
async def client(ports: Ports) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.ports = ports
    app.state.api_keys = {"reader": ["contacts:read"], "writer": ["contacts:write"]}
    app.include_router(http.router)
    errors.install(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def register(client: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    headers = {"Authorization": "Bearer writer"}
    return await client.post("/contacts", json={"profile": {**AYSE, **changes}}, headers=headers)


async def found(client: httpx.AsyncClient, **query: str) -> list[str]:
    response = await client.get(
        "/contacts", params=query, headers={"Authorization": "Bearer reader"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["contact_id"] for item in response.json()["items"]]


async def refused(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    response = await client.get(f"/contacts?{query}", headers={"Authorization": "Bearer reader"})
    assert response.status_code == 422, response.text
    problems: list[dict[str, Any]] = response.json()["detail"]
    return problems


async def test_a_contact_is_found_by_each_value_normalized_as_at_registration(
    client: httpx.AsyncClient,
) -> None:
    contact_id = (await register(client)).json()["contact_id"]

    assert await found(client, email="  AYSE.yilmaz@EXAMPLE.com.tr ") == [contact_id]
    assert await found(client, phone="+90 532 123 45 67") == [contact_id]
    assert await found(client, phone="0532 123 45 67", country="TR") == [contact_id]
    assert await found(client, external_id="ZENDESK:123") == [contact_id]
    assert await found(client, external_id="shopify:A-9") == [contact_id]
    assert await found(client, external_id="shopify:a-9") == []  # ids are compared exactly
    assert await found(client, email="someone@example.com") == []


async def test_an_external_id_belongs_to_one_contact_per_source(
    client: httpx.AsyncClient,
) -> None:
    first = (await register(client)).json()["contact_id"]
    other = {"email": "other@example.com", "phone": None}

    taken = await register(client, **other, external_ids=[{"source": "zendesk", "id": "123"}])
    elsewhere = await register(client, **other, external_ids=[{"source": "hubspot", "id": "123"}])

    assert taken.status_code == 409
    assert taken.json()["detail"]["field"] == "external_ids[zendesk]"
    assert taken.json()["detail"]["existing_contact_id"] == first
    assert elsewhere.status_code == 201
    assert elsewhere.json()["profile"]["external_ids"] == [{"source": "hubspot", "id": "123"}]


async def test_an_update_sets_external_ids_and_releases_the_old_ones(
    client: httpx.AsyncClient,
) -> None:
    contact_id = (await register(client)).json()["contact_id"]
    patch = {"external_ids": [{"source": "zendesk", "id": "456"}]}

    updated = await client.patch(
        f"/contacts/{contact_id}", json=patch, headers={"Authorization": "Bearer writer"}
    )

    assert updated.status_code == 200, updated.text
    assert await found(client, external_id="zendesk:456") == [contact_id]
    assert await found(client, external_id="zendesk:123") == []
    reused = await register(
        client, email="x@example.com", phone=None, external_ids=[{"source": "zendesk", "id": "123"}]
    )
    assert reused.status_code == 201


async def test_erased_contacts_are_not_found_and_merged_ones_answer_with_their_survivor(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    erased = (await register(client)).json()["contact_id"]
    await lifecycle.erase(ports, erased)
    survivor = (await register(client, external_ids=[])).json()["contact_id"]
    duplicate = (
        await register(
            client, email="ayse@example.org", phone=None, external_ids=[{"source": "x", "id": "1"}]
        )
    ).json()["contact_id"]
    await lifecycle.merge(ports, survivor, duplicate)

    assert await found(client, external_id="zendesk:123") == []
    assert await found(client, external_id="x:1") == [survivor]
    assert await found(client, email="ayse@example.org") == [survivor]


async def test_unknown_or_combined_parameters_are_422_naming_each(
    client: httpx.AsyncClient,
) -> None:
    [unknown] = await refused(client, "mail=a@example.com")
    assert (unknown["loc"], unknown["type"]) == (["query", "mail"], "extra_forbidden")
    both = await refused(client, "email=a@example.com&phone=%2B905321234567")
    assert [p["loc"] for p in both] == [["query", "email"], ["query", "phone"]]
    with_filter = await refused(client, "external_id=zendesk:1&tag=vip")
    assert [p["loc"] for p in with_filter] == [["query", "external_id"], ["query", "tag"]]
    with_country = await refused(client, "email=a@example.com&country=TR")
    assert [p["loc"] for p in with_country] == [["query", "country"], ["query", "email"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("email=ayse@@example", "email"),
        ("phone=0532%20123%2045%2067", "phone"),  # national, without its country
        ("external_id=zendesk", "external_id"),
        ("external_id=zen%20desk:1", "external_id"),
    ],
)
async def test_an_invalid_value_is_422_naming_its_parameter(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    [problem] = await refused(client, query)
    assert problem["loc"] == ["query", field]


async def test_a_look_up_needs_the_read_scope(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/contacts", params={"email": "a@example.com"}, headers={"Authorization": "Bearer writer"}
    )
    assert response.status_code == 403
