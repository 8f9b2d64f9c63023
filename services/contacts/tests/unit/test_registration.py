"""Registration and profile updates against in-memory ports, and over HTTP with the same fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from rapport_contacts.domain.duplicates import unique_keys
from rapport_contacts.domain.errors import ContactMerged, DuplicateContact, UnknownReference
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.entrypoints import activity, errors, http
from rapport_contacts.service_layer import lifecycle, reading, registration
from rapport_contacts.service_layer.ports import SegmentFilter
from rapport_contacts.service_layer.unit import Ports
from rapport_schemas.contacts import (
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactUpdated,
)
from services.contacts.tests.unit.fakes import FakeContactViews, fake_ports, keys, repository
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
    "company": "Örnek Ticaret",
}


def profile(**changes: Any) -> ContactProfile:
    return ProfileInput.model_validate({**AYSE, **changes}).to_profile()


@pytest.fixture
def ports() -> Ports:
    return fake_ports(SettableClock(NOW))


async def test_a_registration_stores_the_contact_with_its_event_and_claims_its_keys(
    ports: Ports,
) -> None:
    registered = await registration.register(ports, profile(), (), referred_by=None)

    contact_id = registered.contact.contact_id
    assert await ports.contacts.get(contact_id) == replace(registered.contact, version=1)
    [event, personal] = repository(ports).events(contact_id)
    assert isinstance(event, ContactRegistered)
    assert (event.contact_id, event.registered_at) == (contact_id, NOW)
    assert personal == ContactPersonalData.of(contact_id, profile(), recorded_at=NOW)
    assert keys(ports).held_by(contact_id) == {k.key for k in unique_keys(profile())}
    assert registered.likely_duplicates == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"email": "AYSE.YILMAZ@example.com.tr", "phone": None}, "email"), ({"email": None}, "phone")],
)
async def test_a_duplicate_is_refused_naming_the_existing_contact_and_nothing_is_stored(
    ports: Ports, changes: dict[str, Any], field: str
) -> None:
    first = await registration.register(ports, profile(), (), referred_by=None)
    claims_before = dict(keys(ports).claims)

    with pytest.raises(DuplicateContact) as refused:
        await registration.register(ports, profile(**changes), (), referred_by=None)

    assert (refused.value.field, refused.value.existing_contact_id) == (
        field,
        first.contact.contact_id,
    )
    assert list(repository(ports).contacts) == [first.contact.contact_id]
    assert keys(ports).claims == claims_before


async def test_a_key_of_a_merged_contact_names_the_survivor(ports: Ports) -> None:
    survivor = await registration.register(
        ports, profile(email="other@example.com.tr", phone=None), (), referred_by=None
    )
    duplicate = await registration.register(ports, profile(), (), referred_by=None)
    await lifecycle.merge(ports, survivor.contact.contact_id, duplicate.contact.contact_id)

    with pytest.raises(DuplicateContact) as refused:
        await registration.register(ports, profile(), (), referred_by=None)

    assert refused.value.existing_contact_id == survivor.contact.contact_id


async def test_a_likely_duplicate_is_reported_but_registered(ports: Ports) -> None:
    first = await registration.register(ports, profile(), (), referred_by=None)
    second = await registration.register(
        ports,
        profile(name="AYSE  YILMAZ", email="ayse.y@example.com.tr", phone=None),
        (),
        referred_by=None,
    )
    assert second.likely_duplicates == [first.contact.contact_id]
    assert len(repository(ports).contacts) == 2


async def test_an_unknown_referrer_is_refused_and_nothing_is_stored(ports: Ports) -> None:
    with pytest.raises(UnknownReference):
        await registration.register(ports, profile(), (), referred_by="ct_nobody")
    assert repository(ports).contacts == {}
    assert keys(ports).claims == {}


async def test_an_invalid_patch_leaves_the_contact_and_its_keys_unchanged(ports: Ports) -> None:
    registered = await registration.register(ports, profile(), (), referred_by=None)
    contact_id = registered.contact.contact_id
    stored, claims = dict(repository(ports).contacts), dict(keys(ports).claims)

    with pytest.raises(ValidationError):
        await registration.update(ports, contact_id, {"email": "not-an-address"})

    assert repository(ports).contacts == stored
    assert keys(ports).claims == claims
    assert len(repository(ports).events(contact_id)) == 2  # the registration's


async def test_a_new_email_is_claimed_and_the_old_one_released(ports: Ports) -> None:
    registered = await registration.register(ports, profile(), (), referred_by=None)
    contact_id = registered.contact.contact_id

    updated = await registration.update(ports, contact_id, {"email": "ayse@example.com.tr"})

    assert updated.profile.email == "ayse@example.com.tr"
    assert keys(ports).held_by(contact_id) == {k.key for k in unique_keys(updated.profile)}
    [_, _, event, personal] = repository(ports).events(contact_id)
    assert isinstance(event, ContactUpdated)
    assert event.changed_fields == ("email",)
    assert isinstance(personal, ContactPersonalData) and personal.email == "ayse@example.com.tr"


async def test_an_update_that_loses_every_race_releases_the_new_key(ports: Ports) -> None:
    registered = await registration.register(ports, profile(), (), referred_by=None)
    contact_id = registered.contact.contact_id
    repository(ports).conflicts_to_raise = 1

    updated = await registration.update(ports, contact_id, {"email": "ayse@example.com.tr"})

    assert repository(ports).conflicts_to_raise == 0  # the first write lost, the retry won
    assert keys(ports).held_by(contact_id) == {k.key for k in unique_keys(updated.profile)}


async def test_a_merged_contact_refuses_updates(ports: Ports) -> None:
    survivor = await registration.register(ports, profile(), (), referred_by=None)
    duplicate = await registration.register(
        ports, profile(email="dup@example.com.tr", phone=None), (), referred_by=None
    )
    await lifecycle.merge(ports, survivor.contact.contact_id, duplicate.contact.contact_id)
    with pytest.raises(ContactMerged):
        await registration.update(ports, duplicate.contact.contact_id, {"name": "Ayşe Y."})


async def test_a_segment_is_listed_page_by_page_with_country_and_tag_normalized(
    ports: Ports,
) -> None:
    ids = []
    for n in range(3):
        contact = profile(email=f"c{n}@example.com.tr", phone=None, segment={"tags": ["vip"]})
        ids.append((await registration.register(ports, contact, (), referred_by=None)).contact)
    await registration.register(ports, profile(email=None, phone=None), (), referred_by=None)
    wanted = sorted(c.contact_id for c in ids)

    first = await reading.list_segment(
        ports, SegmentFilter(country="tr", tag="VIP"), limit=2, after=None
    )
    rest = await reading.list_segment(
        ports, SegmentFilter(country="tr", tag="VIP"), limit=2, after=first.next_cursor
    )

    assert [c.contact_id for c in first.contacts] == wanted[:2]
    assert first.next_cursor == wanted[1]
    assert ([c.contact_id for c in rest.contacts], rest.next_cursor) == (wanted[2:], None)


# Over HTTP, with the routers and the error mapping bootstrap installs, and the same fakes.


@pytest.fixture
def views() -> FakeContactViews:
    return FakeContactViews()


@pytest.fixture
async def client(ports: Ports, views: FakeContactViews) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.ports, app.state.views = ports, views
    app.state.api_keys = {"test-key": ["*"]}
    app.include_router(http.router)
    app.include_router(activity.router)
    errors.install(app)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer test-key"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def test_http_a_duplicate_is_409_naming_the_existing_contact(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    first = await client.post("/contacts", json={"profile": AYSE})
    assert first.status_code == 201, first.text

    again = await client.post("/contacts", json={"profile": {**AYSE, "phone": None}})

    assert again.status_code == 409
    assert again.json()["detail"] == {
        "message": f"email already belongs to contact {first.json()['contact_id']}",
        "field": "email",
        "existing_contact_id": first.json()["contact_id"],
    }
    assert list(repository(ports).contacts) == [first.json()["contact_id"]]


async def test_http_validation_errors_are_422_and_store_nothing(
    client: httpx.AsyncClient, ports: Ports
) -> None:
    response = await client.post(
        "/contacts", json={"profile": {**AYSE, "email": "ayse@@example", "country": "QQ"}}
    )

    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} == {"email", "country"}
    assert repository(ports).contacts == {}
    assert keys(ports).claims == {}


async def test_http_no_view_yet_is_404_and_a_folded_one_is_shown(
    client: httpx.AsyncClient, views: FakeContactViews
) -> None:
    assert (await client.get("/contacts/ct_1/view")).status_code == 404
    views.views["ct_1"] = {"contact_id": "ct_1", "status": "active", "purchase_count": 2}

    shown = await client.get("/contacts/ct_1/view")

    assert shown.status_code == 200
    assert (shown.json()["contact_id"], shown.json()["purchase_count"]) == ("ct_1", 2)
