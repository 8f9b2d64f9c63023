"""rapport-ops against a broker's SASL_PLAINTEXT listener, with the services' variables.

A second local Kafka (its own ports and state directory, started and stopped by
``deploy/local/kafka.sh`` here) so the shared broker is never restarted; the CLI runs as the
operator runs it, as a process, and its error cases print one line.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.infra import REPO
from tests.support.suite import free_port

pytestmark = pytest.mark.infra

CLI = str(Path(sys.executable).parent / "rapport-ops")
SASL = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"}
USER, PASSWORD = "rapport", "rapport-local"  # deploy/local/kafka/server.properties.template


@pytest.fixture(scope="module")
def sasl_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sasl_port = free_port()
    env = os.environ | {
        "RAPPORT_KAFKA_PORT": str(free_port()),
        "RAPPORT_KAFKA_CONTROLLER_PORT": str(free_port()),
        "RAPPORT_KAFKA_SASL_PORT": str(sasl_port),
        "RAPPORT_STATE_DIR": str(tmp_path_factory.mktemp("second-kafka")),
        "RAPPORT_KAFKA_START_TIMEOUT": "120",
        "KAFKA_HEAP_OPTS": "-Xmx256m -Xms256m",
    }
    script = str(REPO / "deploy/local/kafka.sh")
    started = subprocess.run(
        ["bash", script, "start"], env=env, capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"127.0.0.1:{sasl_port}"
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, check=False)


def ops(bootstrap: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "RAPPORT_KAFKA_BOOTSTRAP": bootstrap,
        "RAPPORT_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "RAPPORT_KAFKA_SASL_MECHANISM": "PLAIN",
        "RAPPORT_KAFKA_SASL_USERNAME": USER,
        "RAPPORT_KAFKA_SASL_PASSWORD": password,
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    print(f"$ rapport-ops {' '.join(args)}  → exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done


async def prepare(bootstrap: str, topic: str, group: str) -> list[str]:
    """One event on ``topic`` and ``group`` committed before it (lag 1); returns the topics."""
    credentials = {**SASL, "sasl_plain_username": USER, "sasl_plain_password": PASSWORD}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **credentials)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **credentials)
    await producer.start()
    await producer.send_and_wait(topic, b'{"type": "demo", "data": {"email": "a@b.c"}}')
    await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, **credentials)
    await consumer.start()
    consumer.assign([TopicPartition(topic, 0)])
    await consumer.commit({TopicPartition(topic, 0): 0})
    await consumer.stop()
    topics = await admin.list_topics()
    await admin.close()
    return sorted(topics)


async def topic_names(bootstrap: str) -> list[str]:
    credentials = {**SASL, "sasl_plain_username": USER, "sasl_plain_password": PASSWORD}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **credentials)
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


def test_rapport_ops_over_sasl_and_its_error_lines(sasl_bootstrap: str) -> None:
    prefix = "acme."
    topic, group = f"{prefix}rapport.contacts.events", f"{prefix}rapport-contacts-view"
    asyncio.run(prepare(sasl_bootstrap, topic, group))

    listed = ops(sasl_bootstrap, "--topic-prefix", prefix, "topics")
    assert listed.returncode == 0, listed.stderr
    assert topic in listed.stdout and group in listed.stdout  # prefixed groups are shown

    tailed = ops(
        sasl_bootstrap,
        "--topic-prefix",
        prefix,
        "tail",
        "rapport.contacts.events",
        "--from-beginning",
        "-n",
        "1",
    )
    assert tailed.returncode == 0, tailed.stderr
    assert "‹redacted›" in tailed.stdout and "a@b.c" not in tailed.stdout

    before = asyncio.run(topic_names(sasl_bootstrap))
    unknown = ops(sasl_bootstrap, "tail", "rapport.nothing.events")
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert "no topic rapport.nothing.events" in unknown.stderr
    assert asyncio.run(topic_names(sasl_bootstrap)) == before, "tail created no topic"

    refused = ops(sasl_bootstrap, "topics", password="wrong")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("rapport-ops: error: ")

    unreachable = ops("127.0.0.1:1", "topics")
    assert unreachable.returncode == 1 and unreachable.stderr.count("\n") == 1
    assert "cannot reach Kafka" in unreachable.stderr

    bad_argument = ops(sasl_bootstrap, "rebuild", "nobody", "view")
    assert bad_argument.returncode == 2 and bad_argument.stderr.count("\n") == 1

    not_rebuildable = ops(sasl_bootstrap, "rebuild", "notifications", "deliveries")
    assert not_rebuildable.returncode == 1 and not_rebuildable.stderr.count("\n") == 1
    assert (
        "rebuildable here: contacts view, contacts records, feedback views, metrics kpis"
        in not_rebuildable.stderr
    )
