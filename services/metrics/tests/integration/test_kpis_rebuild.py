"""`rapport-ops rebuild metrics kpis --switch` on the generated history: the rebuilt KPIs equal the
live pipeline's after an exchange rate was corrected (the live service re-valued), both equal a
fresh independent computation with the corrected rate, and the metric stream repeats unchanged
points with their event ids.

What is compared where: every counter document of every ``kpi_*`` collection, live against rebuilt
(the KPIs are computed from them alone); every KPI × window over HTTP for one segment of each kind
(the API the user reads; all 38 segments took ~5,000 requests per pass, most of this test's six
minutes); and every point of the metric stream against the fresh independent computation. One
rebuild, after the correction: counters hold amounts in their own currency (converted when a value
is computed), so the state a rebuild must reproduce is the corrected one; a second rebuild before
the correction took another minute and showed nothing this one does not."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import SecretStr

from rapport_metrics.bootstrap import create_app
from rapport_metrics.domain.kpis import METRICS
from rapport_metrics.settings import MetricsSettings
from rapport_ops.__main__ import run
from rapport_schemas import topics
from services.metrics.tests.integration.kpi_dataset import LATE_RATES, RATES, START, generate
from services.metrics.tests.integration.kpi_expected import Expected
from services.metrics.tests.integration.test_kpis_end_to_end import (
    assert_kpi,
    caught_up,
    check_metric_stream,
    latest_metrics,
    publish,
)
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration

WINDOWS = ("day", "week", "month")
CHANGED = ("TRY", date(2025, 11, 20), Decimal("0.03"))  # a corrected rate for the first week
Where = tuple[str, str, str, str]


async def test_rebuild_equals_the_live_pipeline_and_a_fresh_computation(
    service_env, infra, namespace, mongo_db, monkeypatch
):
    dataset = generate(contacts=60, scale=0.5)
    rates = {**RATES, **LATE_RATES}
    settings = MetricsSettings(
        **{**service_env, "consumer_batch_size": 1000},
        reporting_time_zone="Europe/Istanbul",
        exchange_rates=rates,
    )
    rebuild_environment(monkeypatch, settings)
    expected = Expected(dataset, rates)
    every_segment = {s for contact in expected.profiles for s in expected.segments(contact)}
    segments = sorted({kind: (kind, value) for kind, value in sorted(every_segment)}.values())
    group, bootstrap = f"{namespace}.rapport-metrics-kpis", infra.kafka_bootstrap
    stream = f"{namespace}.{topics.METRICS}"
    clock = lambda: START + timedelta(days=12)  # noqa: E731 - "now" inside the dataset

    async with serving(create_app(settings, clock=clock)) as client:
        await publish(bootstrap, namespace, dataset.contacts)
        directory = mongo_db["directory"]
        await eventually(
            lambda: directory.count_documents({}), expected=len(dataset.contacts), timeout=60
        )
        await publish(bootstrap, namespace, dataset.activity + dataset.closing)
        await caught_up(bootstrap, group, namespace)
        before_rate = await kpis_over_http(client, segments)

        # A corrected rate after the fact: the live service re-values at once (lifetime values),
        # and the rebuild that follows must reproduce the corrected state, not the original one.
        currency, valid_from, rate = CHANGED
        body = {"currency": currency, "valid_from": valid_from.isoformat(), "rate": str(rate)}
        assert (await client.post("/exchange-rates", json=body)).status_code == 200
        corrected = {**rates, currency: {**rates[currency], valid_from: rate}}
        fresh = Expected(dataset, corrected)
        live = await kpis_over_http(client, segments)
        checked = compare(live, fresh)
        clv_moved = sum(live[k] != before_rate[k] for k in live if k[0] == "clv")
        assert clv_moved > 0
        live_counters = await counter_documents(mongo_db)
        published = event_ids(await latest_metrics(bootstrap, stream))
        before = await stream_ends(bootstrap, stream)

        assert await run(["rebuild", "metrics", "kpis", "--switch"]) == 0
        rebuilt = await kpis_over_http(client, segments)
        assert rebuilt == live
        rebuilt_counters = await counter_documents(mongo_db)
        assert differences(rebuilt_counters, live_counters) == []
        republished = event_ids(await latest_metrics(bootstrap, stream))
        assert republished == published  # every point unchanged, with its event id
        repeated = await keys_after(bootstrap, stream, before)
        # Every point of a window with counts was sent again (those the HTTP API lists among
        # them), and nothing the live run had not published.
        assert http_keys(rebuilt) <= repeated <= set(published)
    print(f"\n{currency} {rate} from {valid_from}: {checked} points over HTTP equal a fresh")
    print(f"independent computation ({clv_moved} CLV series re-valued)")
    print(
        f"rebuild = live: {sum(map(len, live_counters.values()))} counter documents in"
        f" {len(live_counters)} collections equal; {len(live)} series ({len(segments)}"
        f" segments, one of each kind), {points_in(live)} points equal over HTTP;"
    )
    print(f"{len(repeated)} of the stream's {len(published)} points republished unchanged")
    await check_metric_stream(bootstrap, stream, fresh)
    assert [n for n in await mongo_db.list_collection_names() if "__rebuild_" in n] == []


def rebuild_environment(monkeypatch: pytest.MonkeyPatch, settings: MetricsSettings) -> None:
    """What the operator's shell would hold: the service's own variables."""
    for name, dumped in settings.model_dump(mode="json", exclude_unset=True).items():
        secret = getattr(settings, name)  # a secret is dumped as ******
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else dumped
        text = value if isinstance(value, str) else json.dumps(value)
        monkeypatch.setenv(f"RAPPORT_METRICS_{name.upper()}", text)


async def kpis_over_http(client: Any, segments: list[tuple[str, str]]) -> dict[Where, Any]:
    """Every KPI × window × segment of the generated history, as the HTTP API answers it."""
    answers: dict[Where, Any] = {}
    for metric in METRICS:
        for window in WINDOWS:
            for kind, value in segments:
                params = {"window": window, "segment_kind": kind, "segment_value": value}
                response = await client.get(f"/kpis/{metric}", params=params)
                assert response.status_code == 200, (metric, params, response.text)
                answers[(metric, window, kind, value)] = response.json()
    return answers


async def counter_documents(db: Any) -> dict[str, dict[str, Any]]:
    """Every counter document with a non-zero count, by collection and id, without the fold's
    bookkeeping (watermarks and versions differ between a live run and a rebuild by design; a
    window whose counts all cancelled out exists or not by the order the facts were read in)."""
    found: dict[str, dict[str, Any]] = {}
    for name in sorted(await db.list_collection_names()):
        if not name.startswith("kpi_") or "__" in name:  # not a rebuild's new or old set
            continue
        async for document in db[name].find({}, {"_wm": 0, "_v": 0}):
            # Money is a Decimal string: "12.50" and "12.5" are the same amount.
            amounts = {k: Decimal(str(v)) for k, v in document["counters"].items()}
            counters = {k: v for k, v in amounts.items() if v != 0}
            if counters:
                found.setdefault(name, {})[document["_id"]] = {**document, "counters": counters}
    return found


def differences(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]]) -> list[str]:
    """The first few documents that differ, named (empty when every one is equal)."""
    found = [
        f"{name} {key}: {got.get(name, {}).get(key)} != {want.get(name, {}).get(key)}"
        for name in sorted(set(got) | set(want))
        for key in sorted(set(got.get(name, {})) | set(want.get(name, {})))
        if got.get(name, {}).get(key) != want.get(name, {}).get(key)
    ]
    return found[:5] + ([f"… {len(found) - 5} more"] if len(found) > 5 else [])


def points_in(answers: dict[Where, Any]) -> int:
    return sum(len(points) for points in answers.values())


def compare(answers: dict[Where, Any], expected: Expected) -> int:
    for (metric, window, kind, value), points in answers.items():
        for point in points:
            where = (window, date.fromisoformat(point["window_start"]), kind, value)
            assert_kpi(metric, point["value"], point["n"], expected.value(metric, where), where)
    return points_in(answers)


async def stream_ends(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets([TopicPartition(topic, p) for p in range(3)])
    finally:
        await consumer.stop()


async def keys_after(bootstrap: str, topic: str, offsets: dict[TopicPartition, int]) -> set[str]:
    """The keys of the records appended to ``topic`` after ``offsets``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    keys: set[str] = set()
    try:
        consumer.assign(list(offsets))
        for partition, offset in offsets.items():
            consumer.seek(partition, offset)
        ends = await consumer.end_offsets(list(offsets))
        while [tp for tp in offsets if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                keys |= {(record.key or b"").decode() for record in records}
    finally:
        await consumer.stop()
    return keys


def http_keys(answers: dict[Where, Any]) -> set[str]:
    """The metric stream's keys (``metric|window|start|kind=value``) of the points answered."""
    return {
        f"{metric}|{window}|{point['window_start']}|{kind}={value}"
        for (metric, window, kind, value), points in answers.items()
        for point in points
    }


def event_ids(latest: dict[str, dict[str, object]]) -> dict[str, object]:
    return {key: event["id"] for key, event in latest.items()}
