"""A backlog larger than one sweep page is still counted whole, entries written before entries
carried their own time included (dated by their document)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry

from rapport_kit.observability import OutboxGauges
from rapport_kit.outbox import (
    OUTBOX,
    PENDING,
    SWEEP_PAGE,
    TOUCHED,
    WRITTEN,
    OutboxDocuments,
    OutboxPublisher,
    OutboxSweeper,
)
from rapport_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration


ENTRY = {"topic": "rapport.kit.events", "key": "c1", "value": "{}"}


class UnreachableBroker:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise KafkaConnectionError("kafka is away")


async def test_a_backlog_beyond_one_page_is_counted_whole(mongo_db) -> None:
    now = datetime.now(UTC)
    legacy = now - timedelta(minutes=30)
    documents = [
        {"_id": f"d{i:04}", OUTBOX: [{**ENTRY, "id": f"e{i}", WRITTEN: now - timedelta(minutes=1)}]}
        for i in range(SWEEP_PAGE + 10)
    ]
    documents.append(
        {"_id": "legacy", OUTBOX: [{**ENTRY, "id": "old-1"}, {**ENTRY, "id": "old-2"}]}
    )
    for document in documents:
        document.update({PENDING: True, TOUCHED: legacy if document["_id"] == "legacy" else now})
    collection = mongo_db["outboxes"]
    await collection.insert_many(documents)
    await collection.insert_one({"_id": "published", OUTBOX: [], PENDING: False, TOUCHED: now})

    registry = CollectorRegistry()
    gauges = OutboxGauges(registry, service="kit")
    publisher = OutboxPublisher(UnreachableBroker())  # type: ignore[arg-type]
    store = OutboxDocuments(collection, publisher, ServiceSettings())
    sweeper = OutboxSweeper([store], gauges=gauges, grace=timedelta(0))
    with pytest.raises(KafkaConnectionError):
        await sweeper.sweep_once()

    labels = {"service": "kit", "collection": "outboxes"}
    assert registry.get_sample_value("rapport_outbox_pending_entries", labels) == SWEEP_PAGE + 12
    age = registry.get_sample_value("rapport_outbox_oldest_entry_age_seconds", labels)
    assert age is not None and 30 * 60 <= age < 31 * 60
