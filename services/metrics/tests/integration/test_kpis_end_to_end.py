"""A few thousand deterministic events through the service, with redelivery and republishing;
every KPI checked against an independent computation, on HTTP and on the metric stream."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from rapport_metrics.bootstrap import create_app
from rapport_metrics.domain.kpis import METRICS
from rapport_metrics.settings import MetricsSettings
from rapport_schemas import topics
from services.metrics.tests.integration.kpi_dataset import (
    LATE_RATES,
    RATES,
    START,
    Event,
    generate,
)
from services.metrics.tests.integration.kpi_expected import Expected
from services.metrics.tests.integration.kpi_ranges import out_of_range
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration

CONSUMED = (topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS)
REPUBLISHED = 120  # same CloudEvent ids at new offsets
REWOUND = 150  # per contacts partition: redelivered at the same offsets
EVENTLESS = ("retention_rate", "churn_rate", "sla_compliance")  # may lack a window in a segment


async def publish(bootstrap: str, namespace: str, events: list[Event]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20)
    await producer.start()
    try:
        for event in events:
            topic = f"{namespace}.{type(event.data).topic}"
            await producer.send(
                topic, event.model_dump_json().encode(), key=event.partitionkey.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def group_offsets(
    bootstrap: str, group: str, namespace: str
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """The group's committed offsets and the end offsets of every consumed partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(f"{namespace}.{t}", p) for t in CONSUMED for p in range(3)]
        ends = await consumer.end_offsets(partitions)
        committed = {tp: (await consumer.committed(tp)) or 0 for tp in partitions}
        return committed, ends
    finally:
        await consumer.stop()


async def caught_up(bootstrap: str, group: str, namespace: str) -> None:
    async def check() -> bool:
        committed, ends = await group_offsets(bootstrap, group, namespace)
        return committed == ends

    # Returns as soon as the group is at the end; the bound is for a machine kept busy by other
    # work (a few thousand events through FerretDB took over 180 s with seven test runs beside).
    await eventually(check, timeout=480, interval=0.5)


async def rewind(bootstrap: str, group: str, namespace: str) -> int:
    """Commit earlier offsets for the (stopped) group: the next run gets those records again."""
    committed, _ = await group_offsets(bootstrap, group, namespace)
    contacts = {
        tp: max(0, o - REWOUND) for tp, o in committed.items() if tp.topic.endswith(topics.CONTACTS)
    }
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(contacts))
        await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in contacts.items()})
    finally:
        await consumer.stop()
    return sum(committed[tp] - o for tp, o in contacts.items())


async def latest_metrics(bootstrap: str, topic: str) -> dict[str, dict[str, object]]:
    """What a plain subscriber of the compacted stream holds: the last value per key."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    latest: dict[str, dict[str, object]] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            partitions = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    latest[(record.key or b"").decode()] = json.loads(record.value or b"{}")
    finally:
        await consumer.stop()
    return latest


def assert_kpi(
    metric: str,
    actual_value: float | None,
    actual_n: int,
    expected: tuple[float | None, int],
    where: object,
) -> None:
    value, n = expected
    assert actual_n == n, (metric, where)
    if metric in ("ces", "resolution_time", "first_response_time") and value is not None:
        assert actual_value == pytest.approx(value, rel=1e-12), (metric, where)
    else:
        assert actual_value == value, (metric, where)  # exact: counts, rates, Decimal CLV


async def test_every_kpi_matches_an_independent_computation(
    service_env, infra, namespace, mongo_db
):
    dataset = generate(late=True)  # registrations after their events, segment changes
    expected = Expected(dataset, {**RATES, **LATE_RATES})
    settings = MetricsSettings(
        **{**service_env, "consumer_batch_size": 1000},
        reporting_time_zone="Europe/Istanbul",
        exchange_rates=RATES,
    )
    group = f"{namespace}.rapport-metrics-kpis"
    bootstrap = infra.kafka_bootstrap
    clock = lambda: START + timedelta(days=12)  # noqa: E731 - "now" inside the dataset

    async with serving(create_app(settings, clock=clock)):
        # Contacts first (but LATE_REGISTERED, published with the closing events, after theirs).
        await publish(bootstrap, namespace, dataset.contacts)
        directory = mongo_db["directory"]
        await eventually(
            lambda: directory.count_documents({}), expected=len(dataset.contacts), timeout=60
        )
        started = time.monotonic()
        await publish(bootstrap, namespace, dataset.activity + dataset.activity[:REPUBLISHED])
        await caught_up(bootstrap, group, namespace)
        elapsed = time.monotonic() - started
    rate = (len(dataset.activity) + REPUBLISHED) / elapsed
    print(
        f"\nkpis: {len(dataset.activity) + REPUBLISHED} events in {elapsed:.1f} s "
        f"= {rate:.0f} events/s"
    )

    redelivered = await rewind(bootstrap, group, namespace)
    assert redelivered > 0
    stream = f"{namespace}.{topics.METRICS}"
    async with serving(create_app(settings, clock=clock)) as client:
        await caught_up(bootstrap, group, namespace)
        await publish(bootstrap, namespace, dataset.closing)
        await caught_up(bootstrap, group, namespace)
        outside = out_of_range(await latest_metrics(bootstrap, stream))
        print(f"\nmetric stream: {len(outside)} values outside their range {outside[:5]}")
        await check_late_rates(client, bootstrap, stream, expected)
        await check_http(client, expected)
        await check_refusals(client)
        await check_prometheus(client, redelivered)
    await check_erasure(mongo_db)
    assert outside == []
    await check_metric_stream(bootstrap, stream, expected)


async def check_late_rates(client, bootstrap: str, stream: str, expected: Expected) -> None:
    """BRL purchases are kept and flagged until their rate arrives; then history is re-valued."""
    where = {"window": "month", "segment_kind": "all", "segment_value": "all"}
    before = (await client.get("/kpis/clv", params=where)).json()
    assert before and all(p["unconverted"] and "BRL" in p["unconverted"] for p in before)
    for currency, dated in LATE_RATES.items():
        for valid_from, rate in dated.items():
            body = {"currency": currency, "valid_from": valid_from.isoformat(), "rate": str(rate)}
            response = await client.post("/exchange-rates", json=body)
            assert response.status_code == 200, response.text
    in_force = (await client.get("/exchange-rates")).json()
    assert {r["currency"] for r in in_force["rates"]} == set(RATES) | set(LATE_RATES)
    key = "clv|month|2025-11-01|all=all"
    value, _ = expected.value("clv", ("month", date(2025, 11, 1), "all", "all"))

    async def revalued() -> bool:
        latest = (await latest_metrics(bootstrap, stream)).get(key, {}).get("data", {})
        return latest.get("value") == value and not latest.get("unconverted")

    await eventually(revalued, timeout=120, interval=1)


async def check_http(client, expected: Expected) -> None:
    segments = [
        ("all", "all"),
        ("country", "TR"),
        ("country", "JP"),
        ("region", "pannonia"),
        ("agent", "agent-2"),
        ("channel", "email"),
    ]
    for metric in METRICS:
        for window in ("day", "week", "month"):
            for kind, value in filter(lambda s: expected.has_segment(*s), segments):
                response = await client.get(
                    f"/kpis/{metric}",
                    params={"window": window, "segment_kind": kind, "segment_value": value},
                )
                assert response.status_code == 200, response.text
                points = response.json()
                assert points or metric in EVENTLESS, (metric, window, kind, value)
                for point in points:
                    where = (window, date.fromisoformat(point["window_start"]), kind, value)
                    assert_kpi(
                        metric, point["value"], point["n"], expected.value(metric, where), where
                    )
    chart = (
        await client.get(
            "/kpis/nps/chart", params={"window": "day", "from": "2025-11-20", "to": "2025-12-09"}
        )
    ).json()
    assert chart["window_starts"][0] == "2025-11-20" and len(chart["window_starts"]) == 20
    assert len(chart["values"]) == len(chart["sample_sizes"]) == 20 and chart["unit"] == "points"


async def check_refusals(client) -> None:
    """Kinds and values outside the vocabulary are named in a 422; no query string gives a 500."""
    for kind in ("$where", "a$b", "..", "all\0", "email", "industry.x"):
        response = await client.get("/kpis/nps", params={"segment_kind": kind})
        assert response.status_code == 422, (kind, response.text)
        assert "segment_kind" in response.text
    for kind, value in (("industry", "a@b.example"), ("country", "tr"), ("channel", "fax")):
        response = await client.get(
            "/kpis/nps", params={"segment_kind": kind, "segment_value": value}
        )
        assert response.status_code == 422, (kind, value, response.text)
        assert "segment_value" in response.text
    far = await client.get("/kpis/clv/chart", params={"window": "day", "to": "9999-12-31"})
    assert far.status_code == 422 and "to" in far.text
    empty = {"segment_kind": "industry", "segment_value": "mining", "to": "9999-12-31"}
    assert (await client.get("/kpis/nps/chart", params=empty)).status_code == 422  # no data
    early = await client.get("/kpis/nps/chart", params={"from": "0001-01-01"})
    assert early.status_code == 422 and "from" in early.text
    wide = await client.get(
        "/kpis/nps/chart", params={"window": "day", "from": "2000-01-01", "to": "2025-12-01"}
    )
    assert wide.status_code == 422, wide.text
    vocabulary = (await client.get("/segments")).json()
    assert "retail" in vocabulary["industry"] and "pannonia" in vocabulary["region"]


async def check_prometheus(client, redelivered: int) -> None:
    text = (await client.get("/metrics")).text
    assert re.search(
        r'rapport_kpi_value\{metric="nps",segment_kind="all",segment_value="all",'
        r'window="month"\} -?\d',
        text,
    )
    assert 'segment_kind="agent"' not in text  # bounded labels: all and country only
    consumed = sum(
        float(v)
        for v in re.findall(
            r'rapport_events_consumed_total\{consumer="kpis",event_type="[^"]+"\} (\S+)', text
        )
    )
    assert consumed >= redelivered


async def check_erasure(mongo_db) -> None:
    tombstone = await mongo_db["directory"].find_one({"_id": "c040"}, {"_wm": 0, "_v": 0})
    assert tombstone["erased"] is True and tombstone["country"]  # its segments, nothing else
    segment_facts = {"country", "region", "language", "industry", "channel", "agent", "currency"}
    assert set(tombstone) <= {"_id", "erased", "merged_into", *segment_facts}
    assert await mongo_db["customers"].find_one({"_id": "c040"}, {"_wm": 0, "_v": 0}) == {
        "_id": "c040",
        "erased": True,
    }
    assert await mongo_db["awaiting"].count_documents({"contact_id": "c040"}) == 0
    assert await mongo_db["directory"].count_documents({"name": {"$exists": True}}) == 0


async def check_metric_stream(bootstrap: str, topic: str, expected: Expected) -> None:
    latest = await latest_metrics(bootstrap, topic)
    assert len(latest) > 1000
    for key, event in latest.items():
        data = event["data"]
        start = datetime.fromisoformat(data["window_start"]).date()
        where = (data["window"], start, data["segment_kind"], data["segment_value"])
        assert key == (
            f"{data['metric']}|{data['window']}|{start}|"
            f"{data['segment_kind']}={data['segment_value']}"
        )
        assert_kpi(
            data["metric"],
            data["value"],
            data["sample_size"],
            expected.value(data["metric"], where),
            where,
        )
    for metric in METRICS:
        assert f"{metric}|month|2025-11-01|all=all" in latest
