"""Where the tests' Kafka broker and MongoDB-wire server come from.

``RAPPORT_TEST_INFRA`` chooses: ``auto`` (default) uses testcontainers' Kafka and MongoDB when a
Docker engine answers and otherwise the project's local processes (``deploy/local``); ``docker``
and ``local`` force one; ``external`` uses ``RAPPORT_TEST_KAFKA`` / ``RAPPORT_TEST_MONGO_URL``.
A test that needs them starts them or fails: none is ever skipped for want of a server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap: str
    mongo_url: str
    kind: str


@contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    mode = os.environ.get("RAPPORT_TEST_INFRA", "auto")
    if mode == "external":
        yield Infrastructure(
            os.environ.get("RAPPORT_TEST_KAFKA", "127.0.0.1:9092"),
            os.environ.get("RAPPORT_TEST_MONGO_URL", local_mongo_url("27017")),
            "external",
        )
    elif mode == "docker" or (mode == "auto" and _docker_engine_answers()):
        with _containers() as infra:
            yield infra
    else:
        yield _local_processes()


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    return probe.returncode == 0


@contextmanager
def _containers() -> Iterator[Infrastructure]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with ExitStack() as stack:
        kafka = stack.enter_context(KafkaContainer("apache/kafka:4.1.0").with_kraft())
        mongo = stack.enter_context(MongoDbContainer("mongo:7"))
        yield Infrastructure(kafka.get_bootstrap_server(), mongo.get_connection_url(), "docker")


def _local_processes() -> Infrastructure:
    """Start (or reuse) the local broker and server; they outlive the test run on purpose."""
    for script in ("kafka.sh", "ferretdb.sh"):
        started = subprocess.run(
            ["bash", str(REPO / "deploy" / "local" / script), "start"],
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode != 0:
            raise RuntimeError(f"{script} start failed:\n{started.stdout}\n{started.stderr}")
    kafka_port = os.environ.get("RAPPORT_KAFKA_PORT", "9092")
    mongo_port = os.environ.get("RAPPORT_MONGO_PORT", "27017")
    return Infrastructure(f"127.0.0.1:{kafka_port}", local_mongo_url(mongo_port), "local")


def local_mongo_url(port: str) -> str:
    """The local FerretDB has no retryable writes (MongoDB in a container keeps them on)."""
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false"
