"""Fixtures shared by every test tier."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
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
def service_env(infra: Infrastructure, namespace: str) -> dict[str, object]:
    """Settings fields common to every service under test."""
    return {
        "environment": "test",
        "kafka_bootstrap": infra.kafka_bootstrap,
        "mongo_url": infra.mongo_url,
        "mongo_database": namespace,
        "topic_prefix": f"{namespace}.",
        "topic_partitions": 3,
        "api_keys": {"test-key": ["*"], "read-only": ["contacts:read", "metrics:read"]},
    }


@pytest.fixture
async def mongo_db(infra: Infrastructure, namespace: str) -> AsyncIterator[object]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infra.mongo_url, tz_aware=True)
    yield client[namespace]
    await client.drop_database(namespace)
    await client.close()
