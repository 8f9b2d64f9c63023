"""Look-ups by e-mail, phone and external id on the MongoDB-wire server: read through the
uniqueness index by ``_id`` (an index FerretDB uses), erased contacts gone."""

from __future__ import annotations

import pytest

from rapport_contacts.bootstrap import create_app
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def test_look_ups_find_the_registered_contact_and_not_an_erased_one(
    settings, infra, profile, mongo_db
) -> None:
    ids = [{"source": "zendesk", "id": "123"}]
    async with serving(create_app(settings)) as client:
        registered = await client.post("/contacts", json={"profile": profile(external_ids=ids)})
        contact_id = registered.json()["contact_id"]
        taken = await client.post(
            "/contacts",
            json={"profile": profile(email="x@example.com", phone=None, external_ids=ids)},
        )
        found = [
            (await client.get("/contacts", params=query)).json()["items"]
            for query in (
                {"email": "AYSE.YILMAZ@example.com.tr"},
                {"phone": "0532 123 45 67", "country": "TR"},
                {"external_id": "Zendesk:123"},
            )
        ]
        await client.delete(f"/contacts/{contact_id}")
        after_erasure = await client.get("/contacts", params={"external_id": "zendesk:123"})
        plan = await mongo_db["contact_keys"].find({"_id": "probe"}).explain()

    assert registered.status_code == 201, registered.text
    assert (taken.status_code, taken.json()["detail"]["field"]) == (409, "external_ids[zendesk]")
    assert [[item["contact_id"] for item in items] for items in found] == [[contact_id]] * 3
    assert found[2][0]["profile"]["external_ids"] == ids
    assert after_erasure.json()["items"] == []
    assert plan.get("filterPushdown", True) is True  # FerretDB reads `_id` through its index
