"""POST /exchange-rates retried with an Idempotency-Key, on the MongoDB-wire server: the first
answer again, the key kept in the rate's own document, another body with the key refused."""

from __future__ import annotations

import pytest

from rapport_metrics.bootstrap import create_app
from rapport_metrics.settings import MetricsSettings
from tests.support.services import serving

pytestmark = pytest.mark.integration


async def test_a_rate_posted_twice_with_one_key_answers_the_first_response(
    service_env, infra, mongo_db
) -> None:
    settings = MetricsSettings(**service_env)
    rate = {"currency": "USD", "valid_from": "2026-05-01", "rate": "38.5"}
    key = {"Idempotency-Key": '"rate-usd-2026-05"'}
    async with serving(create_app(settings)) as client:
        first = await client.post("/exchange-rates", json=rate, headers=key)
        again = await client.post("/exchange-rates", json=rate, headers=key)
        other = await client.post("/exchange-rates", json={**rate, "rate": "40"}, headers=key)
        in_force = (await client.get("/exchange-rates")).json()

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert [r["rate"] for r in in_force["rates"] if r["currency"] == "USD"] == ["38.5"]
    stored = await mongo_db["exchange_rates"].find_one({"_id": "USD|2026-05-01"})
    [kept] = stored["idempotency"].values()  # written with the rate, in its document
    assert kept["body"] == first.text
