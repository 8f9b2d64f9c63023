"""After ContactErased, no collection of any service holds the contact's name, e-mail or phone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from tests.support.kafka import eventually
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

NAME, EMAIL, PHONE = "Szabó Katalin", "katalin.szabo@example.hu", "+36301112233"
SERVICES = ("contacts", "feedback", "notifications", "metrics")


async def hits(client: AsyncMongoClient[dict[str, object]], namespace: str) -> list[str]:
    """Every (database.collection) whose documents mention the person."""
    found = []
    for service in SERVICES:
        db = client[f"{namespace}_{service}"]
        for name in await db.list_collection_names():
            async for document in db[name].find({}):
                text = str(document)
                if any(needle in text for needle in (NAME, EMAIL, PHONE, "36301112233")):
                    found.append(f"{service}.{name}")
                    break
    return found


async def test_erasure_leaves_no_personal_data_in_any_service(service_env, namespace, infra):
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    try:
        async with running_suite(service_env, (), port) as clients:
            contacts = clients["contacts"]
            now = datetime.now(UTC).isoformat()
            registered = await contacts.post(
                "/contacts",
                json={
                    "profile": {
                        "name": NAME,
                        "email": EMAIL,
                        "phone": PHONE,
                        "language": "hu-HU",
                        "time_zone": "Europe/Budapest",
                        "country": "HU",
                        "currency": "HUF",
                    },
                    "consents": [
                        {"channel": "email", "granted": True, "source": "web", "changed_at": now}
                    ],
                },
            )
            assert registered.status_code == 201, registered.text
            contact_id = registered.json()["contact_id"]
            for kind in ("complaint", "support"):
                logged = await contacts.post(
                    f"/contacts/{contact_id}/interactions",
                    json={
                        "channel": "email",
                        "direction": "inbound",
                        "kind": kind,
                        "case_id": "c-1",
                        "summary": f"{NAME} wrote from {EMAIL}",
                    },
                )
                assert logged.status_code == 201
            assert (
                await contacts.post(f"/contacts/{contact_id}/cases/c-1/resolve", json={})
            ).is_success

            async def personal_data() -> list[str]:
                return await hits(mongo, namespace)

            def spread(found: list[str]) -> bool:
                return len(found) >= 3

            await eventually(personal_data, until=spread, timeout=60)
            assert (await contacts.delete(f"/contacts/{contact_id}")).is_success

            await eventually(personal_data, expected=[], timeout=60)
    finally:
        smtp.stop()
        for service in SERVICES:
            await mongo.drop_database(f"{namespace}_{service}")
        await mongo.close()
