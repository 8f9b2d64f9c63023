"""Registration over HTTP: the event on Kafka, validation that stores nothing, duplicates, auth."""

from __future__ import annotations

import httpx
import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode
from rapport_schemas.contacts import ContactPersonalData, ContactRegistered, ContactUpdated
from rapport_schemas.envelope import data_schema_url
from tests.support.kafka import read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def everything_stored(mongo_db) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        document
        for name in await mongo_db.list_collection_names()
        async for document in mongo_db[name].find()
    ]


async def test_a_registration_is_published_as_a_valid_cloudevent_keyed_by_the_contact(
    settings, infra, contacts_topic, personal_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        response = await client.post(
            "/contacts",
            json={"profile": profile(email="Ayse.Yilmaz@EXAMPLE.com.tr", phone="0532 123 45 67")},
        )
        assert response.status_code == 201, response.text
        contact_id = response.json()["contact_id"]
        stored = (await client.get(f"/contacts/{contact_id}")).json()

    assert stored["profile"]["phone"] == "+905321234567"
    assert stored["profile"]["email"] == "Ayse.Yilmaz@example.com.tr"
    [record] = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 1)
    event = decode(record.value)
    assert record.key == contact_id.encode()
    assert (event.specversion, event.type, event.subject) == (
        "1.0",
        ContactRegistered.event_type,
        contact_id,
    )
    assert event.dataschema == data_schema_url(ContactRegistered.event_type)
    assert isinstance(event.data, ContactRegistered)
    assert dict(record.headers)["content-type"].startswith(b"application/cloudevents+json")
    # v2: the phone (and the rest of the personal part) is on the personal topic, keyed alike.
    assert b"+905321234567" not in record.value
    [personal] = await read_until(infra.kafka_bootstrap, personal_topic, lambda rs: len(rs) >= 1)
    assert personal.key == contact_id.encode()
    data = decode(personal.value).data
    assert isinstance(data, ContactPersonalData) and data.phone == "+905321234567"


BAD_FIELDS = [
    ("email", {"email": "ayse@@example"}),
    ("phone", {"phone": "+90 12"}),
    ("language", {"language": "zz-Qqqq-nonsense"}),
    ("time_zone", {"time_zone": "Europe/Atlantis"}),
    ("currency", {"currency": "EURO"}),
    ("country", {"country": "QQ"}),
    ("name", {"name": None}),
]


async def test_every_validation_error_is_named_and_nothing_is_stored_or_published(
    settings, infra, contacts_topic, profile, mongo_db
) -> None:
    async with serving(create_app(settings)) as client:
        for field, change in BAD_FIELDS:
            body = {k: v for k, v in profile(**change).items() if v is not None}
            response = await client.post("/contacts", json={"profile": body})
            assert response.status_code == 422, (field, response.text)
            assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
        everything_wrong = profile(
            **{k: v for _, change in BAD_FIELDS[:-1] for k, v in change.items()}
        )
        response = await client.post("/contacts", json={"profile": everything_wrong})
        assert {e["loc"][-1] for e in response.json()["detail"]} == {f for f, _ in BAD_FIELDS[:-1]}
        assert (await client.post("/contacts", json={})).status_code == 422
        assert await everything_stored(mongo_db) == []
        # Then one valid registration: the only event on the topic is its own.
        valid = await client.post("/contacts", json={"profile": profile()})
        assert valid.status_code == 201

    records = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 1)
    assert [decode(r.value).subject for r in records] == [valid.json()["contact_id"]]


async def test_duplicates_are_refused_naming_the_existing_contact_and_likely_ones_reported(
    settings, profile, mongo_db
) -> None:
    async with serving(create_app(settings)) as client:
        first = (await client.post("/contacts", json={"profile": profile()})).json()
        same_email = profile(email="AYSE.YILMAZ@example.com.tr", phone=None)
        same_phone = profile(email="other@example.com.tr", phone="0532 123 4567")
        for duplicate, field in ((same_email, "email"), (same_phone, "phone")):
            response = await client.post("/contacts", json={"profile": duplicate})
            assert response.status_code == 409, response.text
            assert response.json()["detail"]["existing_contact_id"] == first["contact_id"]
            assert response.json()["detail"]["field"] == field
        assert await mongo_db["contacts"].count_documents({}) == 1
        assert await mongo_db["contact_keys"].count_documents({}) == 2

        likely = profile(name="AYSE  YILMAZ", email="ayse.y@example.com.tr", phone=None)
        response = await client.post(
            "/contacts", json={"profile": {**likely, "company": "örnek ticaret"}}
        )
        assert response.status_code == 201, response.text
        assert response.json()["likely_duplicates"] == [first["contact_id"]]

        taken = await client.patch(
            f"/contacts/{response.json()['contact_id']}",
            json={"email": "ayse.yilmaz@example.com.tr"},
        )
        assert taken.status_code == 409
        assert taken.json()["detail"]["existing_contact_id"] == first["contact_id"]


async def test_a_profile_update_is_validated_whole_and_published(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        refused = await client.patch(f"/contacts/{contact_id}", json={"time_zone": "Nowhere/Land"})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "time_zone"]
        moved = await client.patch(
            f"/contacts/{contact_id}",
            json={"country": "HU", "phone": "06 30 123 4567", "language": "hu-HU"},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["profile"]["phone"] == "+36301234567"
        # The old number is free again.
        again = await client.post(
            "/contacts", json={"profile": profile(email="new@example.com.tr", name="Başka Biri")}
        )
        assert again.status_code == 201, again.text

    records = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 3)
    updates = [
        e.data
        for e in map(decode, (r.value for r in records))
        if isinstance(e.data, ContactUpdated)
    ]
    assert [sorted(u.changed_fields) for u in updates] == [["country", "language", "phone"]]


async def test_contacts_are_listed_by_segment_page_by_page(settings, profile) -> None:
    async with serving(create_app(settings)) as client:
        for n in range(5):
            country = "TR" if n % 2 == 0 else "HU"
            body = profile(name=f"Kişi {n}", email=f"k{n}@example.com", phone=None, country=country)
            assert (await client.post("/contacts", json={"profile": body})).status_code == 201
        seen: list[str] = []
        cursor = None
        while True:
            params = {
                "country": "tr",
                "tag": "VIP",
                "limit": 2,
                **({"cursor": cursor} if cursor else {}),
            }
            page = (await client.get("/contacts", params=params)).json()
            seen += [item["profile"]["name"] for item in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                break
        assert sorted(seen) == ["Kişi 0", "Kişi 2", "Kişi 4"]
        none = await client.get("/contacts", params={"industry": "mining"})
        assert none.json() == {"items": [], "next_cursor": None}


async def test_docs_are_served_and_writes_need_an_api_key_with_the_write_scope(
    settings, profile
) -> None:
    app = create_app(settings)
    async with serving(app) as client:
        assert (await client.get("/docs")).status_code == 200
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert {"/contacts", "/contacts/{contact_id}/merge", "/contacts/{contact_id}/view"} <= set(
            paths
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as anonymous:
            response = await anonymous.post("/contacts", json={"profile": profile()})
            assert response.status_code == 401
            read_only = {"Authorization": "Bearer read-only"}
            forbidden = await anonymous.post(
                "/contacts", json={"profile": profile()}, headers=read_only
            )
            assert forbidden.status_code == 403
            assert (await anonymous.get("/contacts", headers=read_only)).status_code == 200
