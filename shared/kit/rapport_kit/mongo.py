"""MongoDB through PyMongo's async API; only features MongoDB 7+ and FerretDB 1.24 share."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.settings import ServiceSettings

Document = dict[str, Any]
DUPLICATE_KEY = 11000  # the server error code of a unique-index (or version-guard) clash


def build_mongo_client(settings: ServiceSettings, *, service: str) -> AsyncMongoClient[Document]:
    """Created inside a lifespan, never at import time."""
    return AsyncMongoClient(
        settings.mongo_url.get_secret_value(),
        appname=f"rapport-{service}",
        tz_aware=True,
        serverSelectionTimeoutMS=5_000,
        # Retryable writes as the URL says: PyMongo's default (on) for MongoDB; the local
        # FerretDB, which does not support them, is addressed with ``?retryWrites=false``.
    )


def database(
    client: AsyncMongoClient[Document], settings: ServiceSettings
) -> AsyncDatabase[Document]:
    return client[settings.mongo_database]
