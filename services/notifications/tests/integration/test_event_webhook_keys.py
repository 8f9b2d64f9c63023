"""Idempotency-Key on POST /webhooks/subscriptions against the MongoDB-wire server (and the real
broker the service starts with): a retried creation subscribes once and answers the first
response, secret included; the answer lives in the subscription's own document."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from rapport_kit.callers import key_identity
from rapport_kit.clock import utc_now
from rapport_kit.idempotency import fingerprint, key_id
from rapport_notifications.bootstrap import SUBSCRIPTION_KEYS, create_app
from tests.support.services import serving

pytestmark = pytest.mark.integration
SUBSCRIPTIONS = "/webhooks/subscriptions"
WANTED = {
    "url": "https://example.com/hooks/helpdesk",
    "event_types": ["rapport.contacts.contact_registered.v1"],
    "description": "Rückruf-Team – café",  # non-ASCII: the replay is the same bytes all the same
}


async def test_a_subscription_created_twice_with_one_key_is_one_subscription_one_answer(
    settings_for: Any, mongo_db: Any
) -> None:
    key = {"Idempotency-Key": '"9b2e41d0-helpdesk-subscription"'}
    async with serving(create_app(settings_for())) as api:
        first = await api.post(SUBSCRIPTIONS, json=WANTED, headers=key)
        again = await api.post(SUBSCRIPTIONS, json=WANTED, headers=key)
        other = await api.post(SUBSCRIPTIONS, json={**WANTED, "description": "x"}, headers=key)
        listed = (await api.get(SUBSCRIPTIONS)).json()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content  # byte for byte, the secret shown once included
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["secret"].startswith("whsec_")
    assert other.status_code == 422
    [problem] = other.json()["detail"]
    assert (problem["loc"], problem["type"]) == (
        ["header", "Idempotency-Key"],
        "idempotency_key_reused",
    )
    subscription_id = first.json()["subscription_id"]
    assert [s["subscription_id"] for s in listed] == [subscription_id]

    assert await mongo_db["webhook_subscriptions"].count_documents({}) == 1
    stored = await mongo_db["webhook_subscriptions"].find_one({"_id": subscription_id})
    [kept] = stored["idempotency"].values()  # written by the insert that created it
    assert (kept["status"], kept["body"]) == (201, first.text)
    [claim] = await mongo_db[SUBSCRIPTION_KEYS].find({}).to_list()
    assert claim["target"] == subscription_id  # the id was chosen before the write


async def test_a_refused_keyed_creation_leaves_the_key_free_and_without_a_key_each_post_counts(
    settings_for: Any, mongo_db: Any
) -> None:
    key = {"Idempotency-Key": "helpdesk-2"}
    async with serving(create_app(settings_for())) as api:
        refused = await api.post(SUBSCRIPTIONS, json={**WANTED, "url": "ftp://x"}, headers=key)
        fixed = await api.post(SUBSCRIPTIONS, json=WANTED, headers=key)  # same key, new body
        unkeyed = [await api.post(SUBSCRIPTIONS, json=WANTED) for _ in range(2)]
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "url"]
    assert fixed.status_code == 201  # nothing was written for the refusal: the key is new again
    assert "Idempotent-Replayed" not in fixed.headers
    assert [answer.status_code for answer in unkeyed] == [201, 201]
    assert await mongo_db["webhook_subscriptions"].count_documents({}) == 3


async def test_a_retry_while_the_first_is_in_flight_is_409_and_after_a_crash_it_subscribes_once(
    settings_for: Any, mongo_db: Any
) -> None:
    # A claim as the first request leaves it: taken, its subscription not written yet.
    caller = key_identity("test-key")  # tests.support.services
    body = json.dumps(WANTED).encode()
    now = utc_now()
    claim = {
        "fingerprint": fingerprint("POST", SUBSCRIPTIONS, body),
        "target": "whs_chosen_by_the_first_attempt",
        "expires_at": now + timedelta(hours=24),
    }
    claims = mongo_db[SUBSCRIPTION_KEYS]
    await claims.insert_one({"_id": key_id(caller, "running"), "claimed_at": now, **claim})
    crashed_at = now - timedelta(minutes=2)  # older than the kit's in-flight window (60 s)
    await claims.insert_one({"_id": key_id(caller, "crashed"), "claimed_at": crashed_at, **claim})
    async with serving(create_app(settings_for())) as api:
        busy = await api.post(SUBSCRIPTIONS, json=WANTED, headers={"Idempotency-Key": "running"})
        taken = await api.post(SUBSCRIPTIONS, json=WANTED, headers={"Idempotency-Key": "crashed"})
        again = await api.post(SUBSCRIPTIONS, json=WANTED, headers={"Idempotency-Key": "crashed"})
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert "Idempotency-Key" in busy.json()["detail"]
    assert taken.status_code == 201
    assert taken.json()["subscription_id"] == "whs_chosen_by_the_first_attempt"  # the claim's id
    assert (again.status_code, again.content) == (201, taken.content)
    assert await mongo_db["webhook_subscriptions"].count_documents({}) == 1
