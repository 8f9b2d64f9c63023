"""Erasure reaches Kafka (issue 20): after ``ContactErased`` and the erasure deadline, no topic
and no collection holds a byte of the person, every other contact's data is where it was, and a
rebuild from the earliest offset brings nobody back.

The four services run as real processes on real Kafka and FerretDB, with a short erasure deadline
(``ERASURE_DEADLINE_HOURS``, so the personal topics get short ``segment.ms``,
``max.compaction.lag.ms`` and ``delete.retention.ms``); two contacts register with e-mail, phone
and name, log an interaction with a summary, resolve it and answer the survey they are sent with
a comment; one is erased. ``rapport-ops audit personal-data`` then reads every topic of the
namespace from the earliest offset and every collection of every database until it finds none of
the erased person's values, and ``rapport-ops rebuild`` folds every read model again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from bench import processes
from rapport_ops.__main__ import run
from rapport_ops.rebuild import SERVICES, service_read_models
from rapport_schemas import topics
from tests.support.fixtures import delete_topics
from tests.support.infra import Infrastructure
from tests.support.kafka import eventually, read_until
from tests.support.suite import Inbox, free_port

pytestmark = pytest.mark.suite

# 54 s: each personal topic's segment.ms, max.compaction.lag.ms and delete.retention.ms are a
# third of it (18 s), above the broker's log.cleaner.backoff.ms (15 s: how long its cleaner
# sleeps after finding nothing to clean), so the deadline can hold on the local broker as it is.
DEADLINE_HOURS = 0.015
DEADLINE = timedelta(hours=DEADLINE_HOURS)
MARGIN = timedelta(seconds=60)  # a loaded machine; the measured time is printed
TOPIC_SETTINGS = (
    "cleanup.policy",
    "segment.ms",
    "max.compaction.lag.ms",
    "delete.retention.ms",
    "min.cleanable.dirty.ratio",
)
BROKER_SETTINGS = (
    "log.cleaner.backoff.ms",
    "log.cleaner.threads",
    "log.cleaner.min.compaction.lag.ms",
)
ERASED_TYPE = "rapport.contacts.contact_erased.v1"
COMPLETED_TYPE = "rapport.contacts.erasure_completed.v1"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    summary: str
    comment: str

    @property
    def values(self) -> tuple[str, ...]:
        """#1 name, #2 e-mail, #3 phone, #4 summary, #5 comment (the audit's numbers)."""
        return (self.name, self.email, self.phone, self.summary, self.comment)


ERASED = Person(
    "Szabó Katalin",
    "katalin.szabo@example.hu",
    "+36301112233",
    "a kék bögre pótlását kérte",
    "a futár kétszer is csengetett, köszönöm",
)
KEPT = Person(
    "Nagy Bence",
    "bence.nagy@example.hu",
    "+36305556677",
    "a zöld esernyő garanciájáról érdeklődött",
    "gyors és kedves ügyintézés volt",
)


async def test_erasure_leaves_no_byte_on_any_topic_or_collection_and_rebuilds_without_the_person(
    infra: Infrastructure,
    namespace: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAPPORT_MONGO_URL", infra.mongo_url)
    monkeypatch.setenv("COLUMNS", "200")
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    auditor = Auditor(infra, namespace, tmp_path, capsys)
    try:
        with suite_processes(infra, namespace, smtp_port, tmp_path) as urls:
            headers = {"Authorization": f"Bearer {processes.API_KEY}"}
            async with (
                # 30 s, not httpx's 5: on a loaded machine a first write to a service that has
                # just started once took longer (the services' own limits are what is tested).
                httpx.AsyncClient(
                    base_url=urls["contacts"], headers=headers, timeout=30
                ) as contacts,
                httpx.AsyncClient(
                    base_url=urls["feedback"], headers=headers, timeout=30
                ) as feedback,
            ):
                ids = {}
                for person in (ERASED, KEPT):
                    ids[person] = await register_and_answer(contacts, feedback, inbox, person)
                before = await eventually(
                    lambda: auditor.places(KEPT), until=everywhere, timeout=120
                )
                await eventually(lambda: auditor.places(ERASED), until=everywhere, timeout=60)

                erased_id = ids[ERASED]
                assert (await contacts.delete(f"/contacts/{erased_id}")).status_code == 200
                erased_at, completed = await erasure_signals(infra, namespace, erased_id)
                assert completed["contact_id"] == erased_id
                deadline_at = datetime.fromisoformat(completed["deadline_at"])
                assert deadline_at - datetime.fromisoformat(completed["erased_at"]) == DEADLINE

                gone = await auditor.wait_until_gone(ERASED, erased_at, DEADLINE + MARGIN)
                settings = await topic_settings(infra, namespace)
                with capsys.disabled():
                    report_erasure(gone, erased_at, deadline_at, settings, auditor.last_output)
                    print("audit of the erased contact:", auditor.last_summary())
                assert_settings_follow_the_deadline(settings)
                await assert_every_place_was_scanned(auditor)

                after = await auditor.places(KEPT)
                assert topic_places(after) == expected_topic_places()
                assert before <= after, f"lost: {sorted(before - after)}"

        await rebuild_every_read_model(infra, namespace, monkeypatch, capsys)
        assert (await auditor.audit(ERASED))["hits"] == 0
        erased_after_rebuilds = auditor.last_summary()
        rebuilt = await auditor.places(KEPT)
        assert_rebuilt_like_live(rebuilt)
        with capsys.disabled():
            print("the kept contact's values in rebuilt collections:")
            for place, values in by_place(rebuilt).items():
                if "__rebuild_" in place:
                    print(f"  {place}: {', '.join(values)}")
        proof = await assert_rebuilt_views(infra, namespace, ids[KEPT], erased_id)
        with capsys.disabled():
            print("rebuilt 360° view of the erased contact:", proof)
            print("audit of the erased contact after the rebuilds:", erased_after_rebuilds)
    finally:
        smtp.stop()
        await drop_databases(infra, namespace)
        await delete_topics(infra.kafka_bootstrap, prefix=f"{namespace}.")


# ---------------------------------------------------------------- the services


@contextmanager
def suite_processes(
    infra: Infrastructure, namespace: str, smtp_port: int, logs: Path
) -> Iterator[dict[str, str]]:
    """The four services as ``python -m rapport_<service>``, each on a free port."""
    deadline = {"ERASURE_DEADLINE_HOURS": str(DEADLINE_HOURS)}
    extra = {
        "contacts": deadline,
        "feedback": deadline,
        "notifications": {
            "SMTP_PORT": str(smtp_port),
            "QUIET_HOURS_START": "00:00",  # equal: no quiet hours hold the invitation back
            "QUIET_HOURS_END": "00:00",
            "DISPATCH_INTERVAL_SECONDS": "0.5",
        },
    }
    running: list[processes.ServiceProcess] = []
    try:
        for service in SERVICES:
            running.append(
                processes.start(
                    service,
                    prefix=f"{namespace}.",
                    bootstrap=infra.kafka_bootstrap,
                    mongo_url=infra.mongo_url,
                    log_dir=logs,
                    extra={"TOPIC_PARTITIONS": "3", **extra.get(service, {})},
                    port=free_port(),
                )
            )
        yield {process.name: process.url for process in running}
    finally:
        for process in running:
            if process.process.poll() is None:
                process.stop()


async def register_and_answer(
    contacts: httpx.AsyncClient, feedback: httpx.AsyncClient, inbox: Inbox, person: Person
) -> str:
    """Registered with an e-mail consent, an interaction logged and its case resolved, and the
    survey invitation that resolution earns answered with a comment."""
    now = datetime.now(UTC).isoformat()
    profile = {"name": person.name, "email": person.email, "phone": person.phone}
    profile |= {"language": "hu-HU", "time_zone": "Europe/Budapest", "country": "HU"}
    profile |= {"currency": "HUF"}
    consent = {"channel": "email", "granted": True, "source": "web", "changed_at": now}
    registered = await contacts.post("/contacts", json={"profile": profile, "consents": [consent]})
    assert registered.status_code == 201, registered.text
    contact_id = str(registered.json()["contact_id"])
    interaction = {"channel": "phone", "direction": "inbound", "kind": "support"}
    interaction |= {"case_id": "case-1", "summary": f"{person.name} {person.summary}"}
    logged = await contacts.post(f"/contacts/{contact_id}/interactions", json=interaction)
    assert logged.status_code == 201, logged.text
    resolved = await contacts.post(f"/contacts/{contact_id}/cases/case-1/resolve", json={})
    assert resolved.status_code == 200, resolved.text
    token = await survey_token(inbox, person.email)
    answer = {"token": token, "score": 9, "comment": person.comment}
    answered = await feedback.post("/surveys/answers", json=answer)
    assert answered.status_code == 201, answered.text
    return contact_id


async def survey_token(inbox: Inbox, email: str) -> str:
    def invitations() -> list[EmailMessage]:
        mails = [message_from_bytes(raw, policy=policy.default) for raw in inbox.messages]
        return [
            m
            for m in mails
            if isinstance(m, EmailMessage)
            and m["X-Rapport-Template"] == "survey_invitation"
            and m["To"] == email
        ]

    async def invited() -> int:
        return len(invitations())

    # A resolved case earns a CSAT survey, and may earn an NPS one (feedback's rules): the first
    # invitation is answered.
    await eventually(invited, timeout=90)
    body = invitations()[0].get_body(("plain",))
    assert body is not None
    [link] = re.findall(r"https?://\S+/answers\?token=[A-Za-z0-9_.%-]+", body.get_content())
    return str(parse_qs(urlsplit(link).query)["token"][0])


async def erasure_signals(
    infra: Infrastructure, namespace: str, contact_id: str
) -> tuple[datetime, dict[str, Any]]:
    """When ``ContactErased`` was published, and ``ErasureCompleted``'s data, as a subscriber
    reads them on the contacts topic."""

    def of_contact(record_type: str, records: list[Any]) -> list[dict[str, Any]]:
        found = [json.loads(r.value) for r in records if r.value]
        return [e for e in found if e["type"] == record_type and e["subject"] == contact_id]

    def completed(records: list[Any]) -> bool:
        return bool(of_contact(COMPLETED_TYPE, records))

    topic = f"{namespace}.{topics.CONTACTS}"
    records = await read_until(infra.kafka_bootstrap, topic, completed, timeout=60)
    [erased] = of_contact(ERASED_TYPE, records)
    [signal] = of_contact(COMPLETED_TYPE, records)
    return datetime.fromisoformat(erased["time"]), signal["data"]


# ---------------------------------------------------------------- the audit


class Auditor:
    """``rapport-ops audit personal-data --json`` for one person's values, in this namespace."""

    def __init__(
        self, infra: Infrastructure, namespace: str, tmp: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.infra, self.namespace, self.tmp, self.capsys = infra, namespace, tmp, capsys
        self.last_output = ""
        self.last: dict[str, Any] = {}

    async def audit(self, person: Person) -> dict[str, Any]:
        values = self.tmp / "values.txt"
        values.write_text("\n".join(person.values) + "\n", encoding="utf-8")
        arguments = ["--bootstrap", self.infra.kafka_bootstrap]
        arguments += ["--topic-prefix", f"{self.namespace}.", "audit", "personal-data"]
        arguments += ["--values-file", str(values), "--database-prefix", f"{self.namespace}_"]
        status = await run([*arguments, "--json"])
        captured = self.capsys.readouterr()
        for value in (*ERASED.values, *KEPT.values):
            assert value.lower() not in (captured.out + captured.err).lower(), "a value printed"
        self.last, self.last_output = json.loads(captured.out), captured.err
        assert status == (3 if self.last["hits"] else 0)
        return self.last

    async def places(self, person: Person) -> set[tuple[str, str]]:
        """(topic or database.collection without the namespace, value number) of every hit."""
        found = await self.audit(person)
        hits = [*found["records_with_a_hit"], *found["documents_with_a_hit"]]
        return {
            (re.sub(rf"^{self.namespace}[._]", "", hit["in"]), value)
            for hit in hits
            for value in hit["values"]
        }

    async def wait_until_gone(
        self, person: Person, erased_at: datetime, bound: timedelta
    ) -> tuple[float, float]:
        """Audit until nothing is found; the last copy went between the two times returned
        (seconds after ``ContactErased``: the last audit that found one, the first that did not)."""
        started: list[tuple[float, int]] = []

        async def hits() -> int:
            begun = (datetime.now(UTC) - erased_at).total_seconds()
            found = int((await self.audit(person))["hits"])
            started.append((begun, found))
            return found

        remaining = bound - (datetime.now(UTC) - erased_at)
        await eventually(hits, expected=0, timeout=remaining.total_seconds(), interval=1.0)
        still = [begun for begun, found in started if found]
        return (still[-1] if still else 0.0), started[-1][0]

    def last_summary(self) -> dict[str, Any]:
        by_kind = self.last["topics"]["by_kind"]
        return {
            "topics": self.last["topics"]["scanned"],
            "of which": {kind: len(found["topics"]) for kind, found in by_kind.items()},
            "partitions": self.last["topics"]["partitions"],
            "records read": self.last["topics"]["records_read"],
            "collections": self.last["databases"]["collections"],
            "documents read": self.last["databases"]["documents_read"],
            "hits": self.last["hits"],
            "hits per value": self.last["hits_per_value"],
        }


def everywhere(places: set[tuple[str, str]]) -> bool:
    """Every value on a topic and in a collection (the profile, the summary, the comment folded
    by each service that keeps them)."""
    on_topics = {value for place, value in places if place.startswith("rapport.")}
    in_documents = {value for place, value in places if not place.startswith("rapport.")}
    numbers = {f"#{n}" for n in range(1, 6)}
    return on_topics == numbers and in_documents == numbers


def by_place(places: set[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for place, value in sorted(places):
        found.setdefault(place, []).append(value)
    return found


def topic_places(places: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(place, value) for place, value in places if place.startswith("rapport.")}


def expected_topic_places() -> set[tuple[str, str]]:
    """A contact's values on the topics: the profile and the summary (it names the person) on
    contacts' personal topic, the comment on feedback's; no event topic, dead letter or metric."""
    profile = {(topics.CONTACTS_PERSONAL, f"#{n}") for n in (1, 2, 3, 4)}
    return profile | {(topics.FEEDBACK_PERSONAL, "#5")}


async def assert_every_place_was_scanned(auditor: Auditor) -> None:
    found = auditor.last
    by_kind = found["topics"]["by_kind"]
    assert found["topics"]["not_present"] == [], "every well-known topic exists and was read"
    assert len(by_kind["personal data"]["topics"]) == len(topics.PERSONAL)
    assert len(by_kind["dead letters"]["topics"]) == len(topics.PRODUCERS)
    assert len(by_kind["metric stream"]["topics"]) == 1
    assert by_kind["events"]["records_read"] > 0 and by_kind["metric stream"]["records_read"] > 0
    assert found["databases"]["scanned"] == len(SERVICES)
    assert found["hits_per_value"] == {f"#{n}": 0 for n in range(1, 6)}


def report_erasure(
    gone: tuple[float, float],
    erased_at: datetime,
    deadline_at: datetime,
    settings: dict[str, dict[str, str]],
    audit_lines: str,
) -> None:
    last_seen, first_clean = gone
    bound = DEADLINE.total_seconds()
    if first_clean <= bound:
        verdict = "within the deadline"
    elif last_seen >= bound:
        verdict = "after the deadline"
    else:
        verdict = "the two audits bracket the deadline"
    print(audit_lines)
    print(
        f"ContactErased at {erased_at.isoformat()}, deadline_at {deadline_at.isoformat()} "
        f"(ERASURE_DEADLINE_HOURS={DEADLINE_HOURS}: {bound:.0f} s)"
    )
    print(
        f"last copy gone between {last_seen:.1f} s (the last audit that found one began) and "
        f"{first_clean:.1f} s (the first that found none began) after ContactErased: {verdict}"
    )
    for name, configs in settings.items():
        print(f"settings of {name}: {configs}")


async def topic_settings(infra: Infrastructure, namespace: str) -> dict[str, dict[str, str]]:
    """The personal topics' compaction settings and the broker's cleaner settings, as the
    broker reports them."""
    names = [f"{namespace}.{topic}" for topic in topics.PERSONAL]
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    resources.append(ConfigResource(ConfigResourceType.BROKER, "1"))
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs(resources)
    finally:
        await admin.close()
    found: dict[str, dict[str, str]] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            wanted = BROKER_SETTINGS if resource["resource_type"] == 4 else TOPIC_SETTINGS
            entries = {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
            name = "broker" if resource["resource_type"] == 4 else resource["resource_name"]
            found[name] = {key: entries[key] for key in wanted}
    return found


def assert_settings_follow_the_deadline(settings: dict[str, dict[str, str]]) -> None:
    third = str(int(DEADLINE.total_seconds() * 1000 / 3))
    for name, configs in settings.items():
        if name == "broker":
            continue
        assert configs == {
            "cleanup.policy": "compact",
            "segment.ms": third,
            "max.compaction.lag.ms": third,
            "delete.retention.ms": third,
            "min.cleanable.dirty.ratio": "0.01",
        }, name


# ---------------------------------------------------------------- the rebuilds


async def rebuild_every_read_model(
    infra: Infrastructure,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``rapport-ops rebuild SERVICE MODEL`` for every model every service declares, beside the
    live collections (``<name>__rebuild_<tag>``)."""
    for service in SERVICES:
        for name, value in {
            "ENVIRONMENT": "test",
            "MONGO_URL": infra.mongo_url,
            "MONGO_DATABASE": f"{namespace}_{service}",
            "KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "TOPIC_PREFIX": f"{namespace}.",
            "ERASURE_DEADLINE_HOURS": str(DEADLINE_HOURS),
        }.items():
            monkeypatch.setenv(f"RAPPORT_{service.upper()}_{name}", value)
    rebuilt = []
    for service in SERVICES:
        try:
            models = service_read_models(service)[1]
        except LookupError:  # declares none
            continue
        for model in models:
            assert await run(["rebuild", service, model]) == 0
            lines = capsys.readouterr().out.splitlines()
            summary = next(line for line in lines if line.startswith("rebuilt"))
            rebuilt.append(f"{service} {model}: {summary}")
    with capsys.disabled():
        print("\n".join(rebuilt))


def assert_rebuilt_like_live(places: set[tuple[str, str]]) -> None:
    """Every rebuilt collection holds the kept contact's values exactly as its live one."""
    rebuilt = {(place, value) for place, value in places if "__rebuild_" in place}
    assert rebuilt, "the rebuilt views hold the kept contact"
    live = {(place.split("__rebuild_")[0], value) for place, value in rebuilt}
    collections = {place for place, _ in live}
    assert live == {(place, value) for place, value in places if place in collections}


async def assert_rebuilt_views(
    infra: Infrastructure, namespace: str, kept_id: str, erased_id: str
) -> dict[str, Any] | None:
    """The rebuilt 360° view equals the live one: the kept contact whole, the erased one no
    more than the live view keeps of it (the proof of erasure, or nothing), which is returned."""
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    try:
        db = mongo[f"{namespace}_contacts"]
        name = next(
            n for n in await db.list_collection_names() if n.startswith("contact_views__rebuild_")
        )
        # ``erased_pages``: the timeline pages an erasure left for the live sweep to delete; the
        # live view's are swept already, the rebuilt ones are swept once switched in (the audit
        # above read them: nothing of the person on them).
        unswept = {"_v": 0, "erased_pages": 0}
        for contact_id in (kept_id, erased_id):
            live = await db["contact_views"].find_one({"_id": contact_id}, unswept)
            again = await db[name].find_one({"_id": contact_id}, unswept)
            assert again == live, contact_id
        kept = await db[name].find_one({"_id": kept_id})
        assert kept is not None and kept["status"] == "active"
        return await db[name].find_one({"_id": erased_id})
    finally:
        await mongo.close()


async def drop_databases(infra: Infrastructure, namespace: str) -> None:
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
    try:
        for name in await mongo.list_database_names():
            if name.startswith(f"{namespace}_"):
                await mongo.drop_database(name)
    finally:
        await mongo.close()
