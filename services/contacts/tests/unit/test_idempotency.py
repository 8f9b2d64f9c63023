"""Idempotency-Key on the contacts API, with in-memory fakes: one change per key, the first answer
replayed, another body refused, a key in flight refused, refusals not remembered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rapport_contacts.entrypoints import activity, errors, http
from rapport_contacts.service_layer.unit import Ports
from rapport_kit.idempotency import http as idempotency_http
from rapport_kit.idempotency.store import IN_FLIGHT, IdempotencyGuard
from rapport_schemas.contacts import ContactPersonalData, ContactRegistered, InteractionLogged
from services.contacts.tests.unit.fakes import FakeClaims, fake_ports, repository
from tests.support.in_memory import SettableClock

NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
AYSE = {
    "name": "Ayşe Yılmaz",
    "email": "ayse.yilmaz@example.com.tr",
    "phone": "+905321234567",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
}
CALL = {"channel": "phone", "direction": "inbound", "kind": "support"}


@pytest.fixture
def ports() -> Ports:
    return fake_ports(SettableClock(NOW))


@pytest.fixture
def claims() -> FakeClaims:
    return FakeClaims()


@pytest.fixture
def wall_clock() -> SettableClock:
    return SettableClock(datetime.now(UTC))


@pytest.fixture
async def client(
    ports: Ports, claims: FakeClaims, wall_clock: SettableClock
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.ports = ports
    app.state.api_keys = {"key-a": ["*"], "key-b": ["*"]}
    app.state.idempotency = IdempotencyGuard(claims, repository(ports).find_kept, clock=wall_clock)
    app.state.idempotency_retention = timedelta(hours=24)
    app.include_router(http.router)
    app.include_router(activity.router)
    errors.install(app)
    idempotency_http.install(app)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer key-a"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


async def test_a_retried_registration_registers_once_and_answers_the_first_response(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    body = {"profile": AYSE}
    first = await client.post("/contacts", json=body, headers=keyed('"reg-1"'))
    again = await client.post("/contacts", json=body, headers=keyed('"reg-1"'))

    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    [contact_id] = repository(ports).contacts
    assert first.json()["contact_id"] == contact_id
    assert [type(e) for e in repository(ports).events(contact_id)] == [
        ContactRegistered,
        ContactPersonalData,
    ]


async def test_the_same_key_with_another_body_is_422_naming_the_header(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    await client.post("/contacts", json={"profile": AYSE}, headers=keyed("reg-2"))
    other = {"profile": {**AYSE, "email": "someone.else@example.com", "phone": None}}

    refused = await client.post("/contacts", json=other, headers=keyed("reg-2"))

    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert (problem["loc"], problem["type"]) == (
        ["header", "Idempotency-Key"],
        "idempotency_key_reused",
    )
    assert len(repository(ports).contacts) == 1


async def test_a_body_equal_in_content_is_the_same_request(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    """Key order and spacing do not change a JSON body's fingerprint."""
    [contact_id] = [(await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]]
    one = '{"channel": "phone", "direction": "inbound", "kind": "support"}'
    other = '{"kind":"support","direction":"inbound","channel":"phone"}'
    path = f"/contacts/{contact_id}/interactions"
    headers = keyed("call-1", **{"Content-Type": "application/json"})

    first = await client.post(path, content=one, headers=headers)
    again = await client.post(path, content=other, headers=headers)

    assert (first.status_code, again.content) == (201, first.content)
    logged = [e for e in repository(ports).events(contact_id) if isinstance(e, InteractionLogged)]
    assert [e.interaction_id for e in logged] == [first.json()["interaction_id"]]


async def test_keys_belong_to_their_caller(client: httpx.AsyncClient, ports: Ports) -> None:
    contact_id = (await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]
    path = f"/contacts/{contact_id}/interactions"

    mine = await client.post(path, json=CALL, headers=keyed("k"))
    theirs = await client.post(path, json=CALL, headers=keyed("k", Authorization="Bearer key-b"))

    assert theirs.status_code == 201
    assert theirs.json()["interaction_id"] != mine.json()["interaction_id"]


async def test_a_key_still_in_flight_is_409_and_a_stale_one_is_taken_over(
    client: httpx.AsyncClient, ports: Ports, claims: FakeClaims, wall_clock: SettableClock
) -> None:
    contact_id = (await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]
    path = f"/contacts/{contact_id}/purchases"
    purchase = {"amount": "120.50", "currency": "TRY"}
    first = await client.post(path, json=purchase, headers=keyed("buy-1"))
    [claim] = claims.claims.values()
    # As if the first request had claimed the key and not written its change yet.
    del repository(ports).kept[contact_id][claim.key_id]

    busy = await client.post(path, json=purchase, headers=keyed("buy-1"))
    wall_clock.now += IN_FLIGHT + timedelta(seconds=1)
    retried = await client.post(path, json=purchase, headers=keyed("buy-1"))

    assert busy.status_code == 409, busy.text
    assert "still being processed" in busy.json()["detail"]
    assert busy.headers["Retry-After"] == "1"
    assert (first.status_code, retried.status_code) == (201, 201)
    assert retried.json()["purchase_id"] != first.json()["purchase_id"]  # processed anew


async def test_a_refused_request_is_not_remembered(
    client: httpx.AsyncClient, claims: FakeClaims
) -> None:
    """A 404 leaves no claim: the retry is answered again (404), not 409 for ever."""
    for _ in range(2):
        missing = await client.post(
            "/contacts/ct_missing/interactions", json=CALL, headers=keyed("k-404")
        )
        assert missing.status_code == 404
    assert claims.claims == {}


async def test_an_expired_key_is_a_new_key(
    client: httpx.AsyncClient, ports: Ports, claims: FakeClaims, wall_clock: SettableClock
) -> None:
    contact_id = (await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]
    path = f"/contacts/{contact_id}/interactions"
    first = await client.post(path, json=CALL, headers=keyed("k-old"))
    wall_clock.now += timedelta(hours=25)

    later = await client.post(path, json={**CALL, "kind": "inquiry"}, headers=keyed("k-old"))

    assert later.status_code == 201
    assert later.json()["interaction_id"] != first.json()["interaction_id"]


@pytest.mark.parametrize(
    "value", ['""', "with space", 'in"side', "x" * 256, "caf\u00e9", "back\\slash"]
)
async def test_a_malformed_key_is_422_naming_the_header(
    client: httpx.AsyncClient, ports: Ports, value: str
) -> None:
    headers: Any = [("Idempotency-Key", value.encode("utf-8"))]
    refused = await client.post("/contacts", json={"profile": AYSE}, headers=headers)

    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert repository(ports).contacts == {}


async def test_a_merge_and_a_case_resolution_are_replayed_too(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    survivor = (await client.post("/contacts", json={"profile": AYSE})).json()["contact_id"]
    duplicate = (
        await client.post(
            "/contacts", json={"profile": {**AYSE, "email": None, "phone": "+905321234568"}}
        )
    ).json()["contact_id"]
    merge = {"duplicate_id": duplicate}
    merged = [
        await client.post(f"/contacts/{survivor}/merge", json=merge, headers=keyed("m-1"))
        for _ in range(2)
    ]
    call = {**CALL, "case_id": "case_1"}
    await client.post(f"/contacts/{survivor}/interactions", json=call)
    resolved = [
        await client.post(f"/contacts/{survivor}/cases/case_1/resolve", headers=keyed("r-1"))
        for _ in range(2)
    ]

    assert [r.status_code for r in merged + resolved] == [200, 200, 200, 200]
    assert (merged[1].content, resolved[1].content) == (merged[0].content, resolved[0].content)
    assert resolved[1].headers["Idempotent-Replayed"] == "true"


async def test_a_body_refused_by_validation_keeps_no_key(
    client: httpx.AsyncClient, ports: Ports, claims: FakeClaims
) -> None:
    """FastAPI validates the body after the key was admitted: the 422 must release it."""
    invalid = await client.post(
        "/contacts", json={"profile": {**AYSE, "country": "QQ"}}, headers=keyed("fix-me")
    )
    fixed = await client.post("/contacts", json={"profile": AYSE}, headers=keyed("fix-me"))

    assert (invalid.status_code, fixed.status_code) == (422, 201), fixed.text
    assert len(repository(ports).contacts) == 1
