"""``rapport-ops audit personal-data`` on a running suite: it finds the person before erasure,
finds no document afterwards, finds a value planted on a topic, and never prints a value.

What it still finds on the topics right after erasure is on the personal topic only (the profile
record and the interaction summary, each followed by its tombstone), until compaction removes them
within the erasure deadline (24 h here; tests/integration/test_erasure_audit.py waits a short one
out); the event topics hold nothing of the person."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiosmtpd.controller import Controller
from pymongo import AsyncMongoClient

from rapport_ops.__main__ import FOUND, run
from rapport_ops.personal_data import well_known_topics
from rapport_schemas import topics
from tests.support.kafka import eventually, produce
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

NAME, EMAIL, PHONE = "Kovács Eszter", "eszter.kovacs@example.hu", "+36209876543"
PHRASE = "a nagymamám kék bögréje"
VALUES = (NAME, EMAIL, PHONE, PHRASE)


def counts(output: str) -> dict[str, int]:
    """The summary table's figures (rich draws ``│`` between columns)."""
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[1].replace(",", "").isdigit():
            found[cells[0]] = int(cells[1].replace(",", ""))
    return found


async def audit(infra, namespace, values_file, capsys) -> tuple[int, dict[str, int], str]:  # type: ignore[no-untyped-def]
    arguments = ["--bootstrap", infra.kafka_bootstrap, "--topic-prefix", f"{namespace}."]
    arguments += ["audit", "personal-data", "--values-file", str(values_file)]
    arguments += ["--database-prefix", f"{namespace}_"]
    status = await run(arguments)
    output = capsys.readouterr().out
    for value in VALUES:
        assert value.lower() not in output.lower(), "a value was printed"
    return status, counts(output), output


async def audit_json(infra, namespace, values_file, capsys) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The same audit with ``--json``: the document on stdout, progress lines on stderr."""
    arguments = ["--bootstrap", infra.kafka_bootstrap, "--topic-prefix", f"{namespace}."]
    arguments += ["audit", "personal-data", "--values-file", str(values_file)]
    arguments += ["--database-prefix", f"{namespace}_", "--json"]
    status = await run(arguments)
    captured = capsys.readouterr()
    for value in VALUES:
        assert value.lower() not in (captured.out + captured.err).lower(), "a value was printed"
    found: dict[str, Any] = json.loads(captured.out)
    assert status == (FOUND if found["hits"] else 0)
    assert f"topic {namespace}.{topics.CONTACTS}" not in captured.out  # progress on stderr
    return found


async def test_audit_finds_the_person_then_only_the_personal_topic(
    service_env, namespace, infra, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("RAPPORT_MONGO_URL", infra.mongo_url)
    monkeypatch.setenv("COLUMNS", "200")
    values_file = tmp_path / "values.txt"
    values_file.write_text("\n".join(VALUES) + "\n", encoding="utf-8")
    smtp_port = free_port()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        async with running_suite(service_env, (), smtp_port) as clients:
            contacts = clients["contacts"]
            now = datetime.now(UTC).isoformat()
            consent = {"channel": "email", "granted": True, "source": "web", "changed_at": now}
            profile = {"name": NAME, "email": EMAIL, "phone": PHONE, "language": "hu-HU"}
            profile |= {"time_zone": "Europe/Budapest", "country": "HU", "currency": "HUF"}
            registered = await contacts.post(
                "/contacts", json={"profile": profile, "consents": [consent]}
            )
            assert registered.status_code == 201, registered.text
            contact_id = registered.json()["contact_id"]
            logged = await contacts.post(
                f"/contacts/{contact_id}/interactions",
                json={
                    "channel": "phone",
                    "direction": "inbound",
                    "kind": "support",
                    "summary": f"Mesélt {PHRASE} történetéről",
                },
            )
            assert logged.status_code == 201, logged.text

            async def documents_with_hits() -> int:
                return (await audit(infra, namespace, values_file, capsys))[1][
                    "documents with a hit"
                ]

            await eventually(documents_with_hits, until=lambda n: n >= 2, timeout=60)
            before, figures_before, _ = await audit(infra, namespace, values_file, capsys)
            with capsys.disabled():
                print("before erasure:", figures_before)
            assert before == FOUND and figures_before["records with a hit"] >= 2

            assert (await contacts.delete(f"/contacts/{contact_id}")).status_code == 200
            await eventually(documents_with_hits, expected=0, timeout=60)

        status, after, output = await audit(infra, namespace, values_file, capsys)
        with capsys.disabled():
            print("after erasure:", after)
            print(output)
        assert after["documents with a hit"] == 0
        assert after["collections"] > 0 and after["documents read"] > 0
        assert after["topics"] > 0 and after["records read"] > 0
        # Within the deadline: the profile and the summary records before their tombstones.
        assert status == FOUND and after["records with a hit"] >= 2
        assert f"{namespace}.{topics.CONTACTS_PERSONAL}/" in output
        assert f"{namespace}.{topics.CONTACTS}/" not in output
        assert after["hits for value #1"] >= 1 and after["hits for value #4"] >= 1
        assert after["dead letters"] == len(topics.PRODUCERS)
        assert after["metric stream"] == 1 and after["events"] >= 3

        found = await audit_json(infra, namespace, values_file, capsys)
        with capsys.disabled():
            print("as JSON:", {k: v for k, v in found.items() if "with_a_hit" not in k})
        assert found["hits"] == after["records with a hit"] + after["documents with a hit"]
        assert found["topics"]["records_read"] == after["records read"]
        assert found["databases"]["documents_read"] == after["documents read"]
        per_value = {f"#{n}": after[f"hits for value #{n}"] for n in range(1, len(VALUES) + 1)}
        assert found["hits_per_value"] == per_value
        scanned = {t for kind in found["topics"]["by_kind"].values() for t in kind["topics"]}
        accounted = scanned | set(found["topics"]["not_present"])
        assert {f"{namespace}.{t}" for t in well_known_topics()} <= accounted
        personal = {f"{namespace}.{topic}" for topic in topics.PERSONAL}
        assert {hit["in"] for hit in found["records_with_a_hit"]} <= personal
        assert found["topics"]["by_kind"]["events"]["records_with_a_hit"] == 0
        assert found["topics"]["by_kind"]["personal data"]["records_with_a_hit"] >= 2

        planted = f"{namespace}.{topics.CONTACTS}.audit-probe"
        await create_topic(infra.kafka_bootstrap, planted)
        await produce(infra.kafka_bootstrap, planted, f"note: {PHRASE}".encode(), key=b"probe")
        status, probed, output = await audit(infra, namespace, values_file, capsys)
        assert probed["records with a hit"] == after["records with a hit"] + 1
        assert re.search(rf"{re.escape(planted)}/\d+/0\s.*#4", output), output
        with capsys.disabled():
            print("with a planted value:", probed)
    finally:
        smtp.stop()
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url)
        for name in await mongo.list_database_names():
            if name.startswith(f"{namespace}_"):
                await mongo.drop_database(name)
        await mongo.close()


async def create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
