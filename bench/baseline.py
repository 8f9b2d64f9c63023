"""The baseline: raw aiokafka ``getmany`` + PyMongo ``bulk_write``, folding each batch by key.

It does what a consumer minimally must (decode JSON, fold per document, one bulk upsert per batch,
commit) and nothing Rapport adds (envelope validation, dead letters, dedupe, watermarks, tracing).
"""

from __future__ import annotations

import json
import time
from collections import Counter

from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient, UpdateOne


async def run_baseline(
    bootstrap: str, topic: str, mongo_url: str, database: str, expected: int
) -> float:
    """Consume ``expected`` events; return events per second."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    collection = client[database]["baseline_counts"]
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{database}-baseline",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=500,
    )
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    try:
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            records = [record for batch in batches.values() for record in batch]
            if not records:
                continue
            counts = Counter(json.loads(record.value)["subject"] for record in records)
            await collection.bulk_write(
                [
                    UpdateOne({"_id": key}, {"$inc": {"events": n}}, upsert=True)
                    for key, n in counts.items()
                ],
                ordered=False,
            )
            await consumer.commit()
            seen += len(records)
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await client.close()
