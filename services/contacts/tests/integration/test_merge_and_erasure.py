"""Merging duplicates re-points history; erasure leaves no personal data in any collection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode, topics, wrap
from rapport_schemas.contacts import ContactErased, ContactsMerged
from rapport_schemas.feedback import SurveyAnsweredV1, SurveyKind
from tests.support.kafka import eventually, produce, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def view_of(client, contact_id: str) -> dict:  # type: ignore[no-untyped-def]
    response = await client.get(f"/contacts/{contact_id}/view")
    return response.json() if response.status_code == 200 else {}


async def test_a_merge_re_points_history_to_the_survivor_and_is_published(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        survivor = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        duplicate_profile = profile(name="Ayse Yilmaz", email="ayse@example.org", phone=None)
        duplicate = (await client.post("/contacts", json={"profile": duplicate_profile})).json()[
            "contact_id"
        ]
        for contact_id, amount in ((survivor, "100.50"), (duplicate, "20")):
            bought = await client.post(
                f"/contacts/{contact_id}/purchases", json={"amount": amount, "currency": "TRY"}
            )
            assert bought.status_code == 201, bought.text
        waiting = await client.post(
            f"/contacts/{duplicate}/interactions",
            json={"channel": "email", "direction": "inbound", "kind": "support", "case_id": "k-1"},
        )

        merged = await client.post(f"/contacts/{survivor}/merge", json={"duplicate_id": duplicate})
        assert merged.status_code == 200, merged.text
        assert merged.json()["absorbed"] == [duplicate]
        again = await client.post(f"/contacts/{survivor}/merge", json={"duplicate_id": duplicate})
        assert again.json() == merged.json()  # repeating a merge changes nothing

        assert (await client.get(f"/contacts/{duplicate}")).json()["merged_into"] == survivor
        logged_on_duplicate = await client.post(
            f"/contacts/{duplicate}/interactions",
            json={"channel": "email", "direction": "inbound", "kind": "support"},
        )
        assert logged_on_duplicate.status_code == 409
        assert logged_on_duplicate.json()["detail"]["merged_into"] == survivor
        # The duplicate's open case now belongs to the survivor.
        resolved = await client.post(f"/contacts/{survivor}/cases/k-1/resolve", json={})
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["first_contact"] is True
        # The duplicate's e-mail now names the survivor.
        refused = await client.post("/contacts", json={"profile": duplicate_profile})
        assert refused.json()["detail"]["existing_contact_id"] == survivor

        async def merged_view() -> dict:
            view = await view_of(client, survivor)
            return view if view.get("merged_from") == [duplicate] else {}

        view = await eventually(merged_view)
        assert view["lifetime_value"] == {"TRY": "120.50"} and view["purchase_count"] == 2
        assert waiting.json()["interaction_id"] in {
            i["details"].get("interaction_id") for i in view["timeline"]
        }

    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: any(b"contacts_merged" in r.value for r in rs),
    )
    merges = [(r.key, decode(r.value).data) for r in records if b"contacts_merged" in r.value]
    assert len(merges) == 1
    key, event = merges[0]
    assert isinstance(event, ContactsMerged)
    assert (key, event.contact_id, event.survivor_id) == (duplicate.encode(), duplicate, survivor)


async def test_erasure_leaves_no_personal_data_in_any_collection(
    settings, infra, namespace, contacts_topic, profile, mongo_db
) -> None:
    person = profile(name="Zeynep Kaya", email="zeynep.kaya@example.com.tr", phone="+905551112233")
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": person})).json()["contact_id"]
        absorbed_profile = {**person, "email": "zeynep@example.net", "phone": None}
        absorbed = (await client.post("/contacts", json={"profile": absorbed_profile})).json()[
            "contact_id"
        ]
        await client.post(f"/contacts/{contact_id}/merge", json={"duplicate_id": absorbed})
        await client.post(
            f"/contacts/{contact_id}/interactions",
            json={
                "channel": "phone",
                "direction": "inbound",
                "kind": "complaint",
                "summary": "Zeynep Kaya called about order 7",
            },
        )
        await client.put(
            f"/contacts/{contact_id}/consents/email", json={"granted": True, "source": "web-form"}
        )
        answer = SurveyAnsweredV1(  # from the history: the comment in the event
            survey_id="sv-1",
            contact_id=contact_id,
            kind=SurveyKind.CSAT,
            score=2,
            comment="Zeynep Kaya: very slow",
            answered_at=datetime.now(UTC),
        )
        await produce(
            infra.kafka_bootstrap,
            f"{namespace}.{topics.FEEDBACK}",
            wrap(answer, source="/rapport/feedback").model_dump_json().encode(),
            key=contact_id.encode(),
        )

        async def view_with_comment() -> bool:
            return "csat" in (await view_of(client, contact_id)).get("latest_scores", {})

        await eventually(view_with_comment)
        erased = await client.delete(f"/contacts/{contact_id}")
        assert erased.status_code == 200, erased.text
        assert (await client.get(f"/contacts/{contact_id}")).status_code == 410

        async def view_erased() -> bool:
            views = [await view_of(client, c) for c in (contact_id, absorbed)]
            return all(v.get("status") == "erased" for v in views)

        await eventually(view_erased)

        async def timeline_pages_swept() -> bool:
            """The month pages an erasure listed are deleted by the sweep, a moment later."""
            pages = mongo_db["contact_views"].find({"month": {"$exists": True}})
            return not [page async for page in pages if page["items"]]

        await eventually(timeline_pages_swept)
        assert (await client.delete(f"/contacts/{contact_id}")).status_code == 200  # idempotent

    collections = await mongo_db.list_collection_names()
    assert {"contacts", "contact_keys", "contact_views", "_seen_view"} <= set(collections)
    for name in collections:
        async for document in mongo_db[name].find():
            text = str(document).lower()
            for personal in ("zeynep", "kaya", "example.com.tr", "example.net", "5551112233"):
                assert personal not in text, (name, document)
    assert await mongo_db["contact_keys"].count_documents({}) == 0
    record = await mongo_db["contacts"].find_one({"_id": contact_id}, {"outbox": 0})
    assert set(record) <= {
        "_id",
        "status",
        "erased_at",
        # Whether ErasureCompleted is still to come, and when it was written.
        "erasure_pending",
        "erasure_completed_at",
        "version",
        "outbox_pending",
        "outbox_touched_at",
        # The outbox's own bookkeeping: how many events it numbered and entries it took, who
        # last published them, the token of its entry in the index of pending outboxes.
        "outbox_sequence",
        "outbox_appended",
        "outbox_claim",
        "outbox_lease_until",
        "outbox_announced",
    }

    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: sum(b"contact_erased" in r.value for r in rs) >= 2,
    )
    erasures = {decode(r.value).subject for r in records if b"contact_erased" in r.value}
    assert erasures == {contact_id, absorbed}
    assert all(
        isinstance(decode(r.value).data, ContactErased)
        for r in records
        if b"contact_erased" in r.value
    )
