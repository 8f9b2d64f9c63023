"""The form of address a contact chose travels with the profile; anything else is a named 422."""

from __future__ import annotations

import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode
from rapport_schemas.contacts import ContactRegistered, ContactUpdated, FormOfAddress
from tests.support.kafka import read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def test_a_form_of_address_is_registered_changed_cleared_and_published(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        created = await client.post(
            "/contacts", json={"profile": profile(form_of_address="feminine")}
        )
        assert created.status_code == 201, created.text
        contact_id = created.json()["contact_id"]
        assert created.json()["profile"]["form_of_address"] == "feminine"
        changed = await client.patch(
            f"/contacts/{contact_id}", json={"form_of_address": "masculine"}
        )
        assert changed.status_code == 200, changed.text
        cleared = await client.patch(f"/contacts/{contact_id}", json={"form_of_address": None})
        assert cleared.json()["profile"]["form_of_address"] is None
        unset = await client.post(
            "/contacts", json={"profile": profile(email="b@example.com.tr", phone=None)}
        )
        assert unset.json()["profile"]["form_of_address"] is None

    records = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 4)
    events = [decode(record.value).data for record in records]
    registered = {
        e.contact_id: e.profile.form_of_address for e in events if isinstance(e, ContactRegistered)
    }
    updates = [e for e in events if isinstance(e, ContactUpdated)]  # one contact: in order
    assert registered == {contact_id: FormOfAddress.FEMININE, unset.json()["contact_id"]: None}
    assert [(u.changed_fields, u.profile.form_of_address) for u in updates] == [
        (("form_of_address",), FormOfAddress.MASCULINE),
        (("form_of_address",), None),
    ]


async def test_an_unknown_form_of_address_is_refused_naming_the_field(
    settings, profile, mongo_db
) -> None:
    async with serving(create_app(settings)) as client:
        refused = await client.post("/contacts", json={"profile": profile(form_of_address="Ms")})
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["detail"]] == [
            ["body", "profile", "form_of_address"]
        ]
        assert await mongo_db["contacts"].count_documents({}) == 0
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        patch = await client.patch(f"/contacts/{contact_id}", json={"form_of_address": "madam"})
        assert patch.status_code == 422, patch.text
        assert [e["loc"] for e in patch.json()["detail"]] == [["body", "form_of_address"]]
