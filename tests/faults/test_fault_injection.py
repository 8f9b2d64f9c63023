"""Fault injection across every consumer service.

A deterministic dataset is streamed in slices to the four consumer services, each running as
two real processes in its consumer groups as the manifests deploy it (``fleet.REPLICAS``);
between slices one instance of EVERY service is ``kill -9``-ed mid-stream and restarted
(``KILLS`` rounds, alternating which instance), a third instance of every service joins (every
group rebalances to three members) and later leaves (back to two), then the Kafka broker is
restarted once and the MongoDB-wire server once. Afterwards every read model and every KPI must
equal an independent computation over the dataset: nothing lost, nothing counted twice, no
e-mail sent twice (counted on a recording SMTP server). Beside the dataset, SLA clocks started
over HTTP run out during the faults (``sla``): the replicas' schedulers race for each breach and
exactly one comes; a frequency cap races between the notifications replicas (``replay``).

Design: two topic prefixes. The metrics dataset synthesises ``SurveyRequested``, ``SurveyAnswered``
and ``NotificationSent`` so every KPI has data; if feedback and notifications ran on the same
topics they would add their own requests and sends and the KPIs would no longer match the
dataset. So metrics runs alone on prefix ``…m`` with that dataset (checked over HTTP as before),
and contacts, feedback and notifications run together on prefix ``…c``, fed the same contact
events and survey answers (with e-mail addresses and consents added, see ``crm_dataset``) and
nothing a service would emit itself: the surveys feedback decides to request, the complaints it
turns into follow-ups and the messages notifications sends are all produced by the services under
test, and checked against ``replay`` (an independent computation of what they must decide).

``RAPPORT_FAULT_CONTACTS`` (default 90, ≈ 2,400 events per prefix) and ``RAPPORT_FAULT_SCALE``
size the dataset; ``make faults`` (1,000 contacts, scale 22) streams ≈ 90,000 events in all.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from bench import processes
from services.metrics.tests.integration.kpi_dataset import (
    LATE_RATES,
    RATES,
    Dataset,
    Event,
    generate,
)
from services.metrics.tests.integration.kpi_expected import Expected
from services.metrics.tests.integration.test_kpis_end_to_end import check_http, publish
from tests.faults.check_feedback import check_feedback
from tests.faults.check_views import check_views
from tests.faults.crm_dataset import CrmDataset, crm_dataset
from tests.faults.fleet import (
    CRM_SERVICES,
    DISPATCH_CONCURRENCY,
    REPLICAS,
    SMTP_PORT,
    Fleet,
    restart_server,
)
from tests.faults.mail import RecordingSmtp, check_in_app, check_mail, losses, recording_smtp
from tests.faults.replay import Replay, replay
from tests.faults.settling import settled
from tests.faults.sla import SlaClocks, check_breaches, start_clocks
from tests.support.infra import Infrastructure
from tests.support.kafka import eventually

pytestmark = pytest.mark.faults

CONTACTS = int(os.environ.get("RAPPORT_FAULT_CONTACTS", "90"))
SCALE = int(os.environ.get("RAPPORT_FAULT_SCALE", "1"))
KILLS = int(os.environ.get("RAPPORT_FAULT_KILLS", "2"))
SLA_CONTACTS = 12
# Notifications drains ~14 deliveries per crm contact at ~8/s on FerretDB at full size. The base
# covers what a kill -9 leaves: an outbox lease expiring (60 s) before the next full sweep (every
# minute), and metrics folding the rest of its stream after the last restart (482 events were
# still behind at 131 s on a CI machine). The wait returns as soon as everything is settled.
SETTLE_SECONDS = 300 + CONTACTS * SCALE // 8
SERVICES = ("metrics", *CRM_SERVICES)
Mongo = AsyncMongoClient[dict[str, Any]]


def slices(events: list[Event], count: int) -> list[list[Event]]:
    size = -(-len(events) // count)
    return [events[n * size : (n + 1) * size] for n in range(count)]


async def publish_both(fleet: Fleet, metrics: list[Event], crm: list[Event]) -> None:
    await publish(fleet.infra.kafka_bootstrap, fleet.prefix("metrics"), metrics)
    await publish(fleet.infra.kafka_bootstrap, fleet.prefix("contacts"), crm)


def faults() -> list[str | None]:
    """The kill rounds with the extra instance joining after the first and leaving after the
    last (two membership changes while streaming), then the server restarts; None: the end."""
    kills = ["kill"] * KILLS
    return [*kills[:1], "join", *kills[1:], "leave", "kafka.sh", "ferretdb.sh", None]


async def inject(fleet: Fleet, fault: str, round_number: int) -> str:
    if fault == "kill":  # alternating: instance 0 in the first round, 1 in the second, …
        return await fleet.kill_one_of_each(round_number % REPLICAS)
    if fault == "join":
        return await fleet.extra_joins()
    if fault == "leave":
        return await fleet.extra_leaves()
    await asyncio.to_thread(restart_server, fleet.infra, fault)
    return f"{fault.removesuffix('.sh')} restarted"


async def stream(fleet: Fleet, metrics: list[Event], crm: list[Event]) -> list[str]:
    """Publish in slices; after each but the last, one fault while the services are busy."""
    planned = faults()
    parts = zip(slices(metrics, len(planned)), slices(crm, len(planned)), strict=True)
    log: list[str] = []
    for fault, (m, c) in zip(planned, parts, strict=True):
        await publish_both(fleet, m, c)
        if fault is None:
            break
        await asyncio.sleep(1.5)
        log.append(await inject(fleet, fault, planned[: len(log)].count("kill")))
    return log


async def directory_filled(fleet: Fleet, contacts: int) -> None:
    """Metrics takes segments from its directory as it stands when an event is applied, and
    survey events travel on another topic than registrations: contacts go in first."""
    mongo: Mongo = AsyncMongoClient(fleet.infra.mongo_url)
    try:
        directory = mongo[fleet.database("metrics")]["directory"]
        count = lambda: directory.count_documents({})  # noqa: E731
        await eventually(count, expected=contacts, timeout=120)
    finally:
        await mongo.close()


async def check_crm(fleet: Fleet, mongo: Mongo, smtp: RecordingSmtp, expected: Replay) -> str:
    notifications = mongo[fleet.database("notifications")]
    lost = await losses(notifications)
    # Each kill -9 of a notifications instance, and the MongoDB-wire restart under each running
    # one, can leave up to DISPATCH_CONCURRENCY sends between acceptance and record.
    in_flight = (fleet.kills_of("notifications") + REPLICAS) * DISPATCH_CONCURRENCY
    mails = check_mail(smtp, expected, lost, bound=in_flight)
    in_app = await check_in_app(notifications, expected, lost)
    routed = Counter({c: p.messages.total() for c, p in expected.people.items() if p.route})
    views = await check_views(
        mongo[fleet.database("contacts")], expected, routed - lost.customer_messages()
    )
    feedback = await check_feedback(mongo[fleet.database("feedback")], expected)
    return (
        f"{views} contact views, {feedback} feedback documents, {mails} e-mails "
        f"(no Message-ID twice; {len(lost.unknown)} outcome_unknown), {in_app} in-app messages"
    )


async def check_kpis(fleet: Fleet, expected: Expected) -> int:
    """Every KPI over HTTP, from each metrics replica (they serve one read model)."""
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    for url in fleet.urls("metrics"):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            await check_http(client, expected)
    return len(fleet.urls("metrics"))


def topics_of(events: list[Event]) -> str:
    counts = Counter(type(e.data).topic.split(".")[1] for e in events)
    return ", ".join(f"{topic} {n}" for topic, n in sorted(counts.items()))


async def check_sla(fleet: Fleet, clocks: SlaClocks, moment: datetime) -> str:
    topic = f"{fleet.prefix('contacts')}.rapport.contacts.events"
    breaches = await check_breaches(fleet.infra.kafka_bootstrap, topic, clocks, moment)
    return f"{breaches} SlaBreached, one distinct event per due clock and none for the others"


def kills_per_service(fleet: Fleet) -> str:
    def of(service: str) -> str:
        kills = sorted((n, k) for (s, n), k in fleet.kills.items() if s == service)
        return ", ".join(f"instance {n}: {k}" for n, k in kills)

    return ", ".join(f"{s} {fleet.kills_of(s)} ({of(s)})" for s in SERVICES)


async def run(fleet: Fleet, smtp: RecordingSmtp, base: Dataset, crm: CrmDataset) -> list[str]:
    await fleet.start_all(SERVICES)
    await publish_both(fleet, base.contacts, crm.contacts)
    clocks = await start_clocks(fleet.urls("contacts"), SLA_CONTACTS)
    await directory_filled(fleet, len(base.contacts))
    log = await stream(fleet, base.activity, crm.activity)
    mongo: Mongo = AsyncMongoClient(fleet.infra.mongo_url, tz_aware=True)
    try:
        await settled(fleet, mongo, SETTLE_SECONDS)
        await publish_both(fleet, base.closing, crm.closing)
        await settled(fleet, mongo, SETTLE_SECONDS)
        moment = datetime.now(UTC)
        replicas = await check_kpis(fleet, Expected(base, {**RATES, **LATE_RATES}))
        expected = replay(crm)
        clocks.add_to(expected, moment)
        crm_checks = await check_crm(fleet, mongo, smtp, expected)
        sla_checks = await check_sla(fleet, clocks, moment)
    finally:
        await mongo.close()
    return [
        f"metrics prefix: {len(base.events)} events ({topics_of(base.events)})",
        f"crm prefix: {len(crm.events)} events ({topics_of(crm.events)}); "
        f"{clocks.describe(moment)}",
        f"{REPLICAS} instances of every service in {len(fleet.groups)} consumer groups",
        "faults: " + "; ".join(log),
        f"kill -9 per service: {kills_per_service(fleet)}",
        f"equal to the independent computation: every KPI over HTTP on {replicas} metrics "
        f"replicas; {crm_checks}; {sla_checks}",
    ]


async def drop(fleet: Fleet) -> None:
    """With a new client: the server restart closed the old client's pooled sockets."""
    mongo: Mongo = AsyncMongoClient(fleet.infra.mongo_url)
    try:
        for service in SERVICES:
            await mongo.drop_database(fleet.database(service))
    finally:
        await mongo.close()


async def test_every_read_model_survives_kills_and_server_restarts(
    infra: Infrastructure, namespace: str
) -> None:
    base = generate(contacts=CONTACTS, scale=SCALE)
    fleet = Fleet(infra, namespace, Path(tempfile.mkdtemp(prefix="rapport-faults-")))
    with recording_smtp(SMTP_PORT) as smtp:
        try:
            summary = await run(fleet, smtp, base, crm_dataset(base))
        finally:
            fleet.stop()
            await drop(fleet)
    print("\nfault injection (logs in " + str(fleet.logs) + "):\n  " + "\n  ".join(summary))
