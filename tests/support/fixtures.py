"""Fixtures shared by every test tier."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from tests.support.infra import Infrastructure, infrastructure


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as running:
        yield running


@pytest.fixture
def namespace() -> str:
    """A fresh topic prefix and database name, so tests never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def service_env(infra: Infrastructure, namespace: str) -> AsyncIterator[dict[str, object]]:
    """Settings fields common to every service under test; its topics are deleted afterwards."""
    yield {
        "environment": "test",
        "kafka_bootstrap": infra.kafka_bootstrap,
        "mongo_url": infra.mongo_url,
        "mongo_database": namespace,
        "topic_prefix": f"{namespace}.",
        "topic_partitions": 3,
        "api_keys": {"test-key": ["*"], "read-only": ["contacts:read", "metrics:read"]},
    }
    await delete_topics(infra.kafka_bootstrap, prefix=f"{namespace}.")


async def delete_topics(bootstrap: str, *, prefix: str) -> None:
    """Without this a broker reused run after run gathers thousands of partitions (three per
    topic, a few dozen topics per test) and then needs minutes to start, or never answers."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


@pytest.fixture
async def mongo_db(infra: Infrastructure, namespace: str) -> AsyncIterator[object]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    yield client[namespace]
    await client.drop_database(namespace)
    await client.close()
