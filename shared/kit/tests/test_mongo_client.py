"""Retryable writes follow the connection URL: on for MongoDB, off where the URL says so."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from rapport_kit.mongo import build_mongo_client
from rapport_kit.settings import DEFAULT_MONGO_URL, ServiceSettings


@pytest.mark.parametrize(
    ("url", "retry_writes"),
    [
        ("mongodb://mongo:27017/", True),  # real MongoDB (docker-compose): PyMongo's default
        ("mongodb://db.example:27017/?tls=true&retryWrites=true", True),
        ("mongodb://127.0.0.1:27017/?retryWrites=false", False),  # the local FerretDB
        (DEFAULT_MONGO_URL, False),
    ],
)
async def test_retryable_writes_follow_the_url(url: str, retry_writes: bool) -> None:
    client = build_mongo_client(ServiceSettings(mongo_url=SecretStr(url)), service="kit-test")
    try:
        assert client.options.retry_writes is retry_writes
    finally:
        await client.close()
