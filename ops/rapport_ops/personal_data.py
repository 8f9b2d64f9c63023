"""``rapport-ops audit personal-data``: where a person's data can still be read.

Reads every topic of the deployment's namespace from its earliest offset (events, dead letters,
the metric stream, any per-contact data topic) and every document of every Rapport database, and
counts the records and documents that contain any of the values asked for (an e-mail, a phone
number, a name, a phrase from a comment). The values are never printed nor logged: a hit is
reported by where it is (topic/partition/offset, database/collection/_id) and by the number of
the value that matched (#1 is the first value given).

Matching is on the raw bytes (Kafka key, value and headers; a document's BSON), case-insensitive,
in UTF-8 and in JSON's ASCII escapes (``\\u00f3``), so a value written by any serializer counts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.table import Table

from rapport_kit.mongo import build_mongo_client
from rapport_ops.connection import Target
from rapport_ops.kafka_io import Record, admin_client

RAW: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument)
SHOWN_HITS = 50  # where each hit is, up to this many; the counts are always complete


class Needles:
    """The values searched for, as every byte form they can take; ``str`` never shows them."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = [value.strip() for value in values if value.strip()]
        if not self.values:
            raise ValueError("no value to search for (give --value or --values-file)")
        self.forms = [self._forms(value) for value in self.values]

    @staticmethod
    def _forms(value: str) -> tuple[bytes, ...]:
        lowered = value.lower()
        escaped = json.dumps(lowered)[1:-1]  # ASCII escapes, as json.dumps writes non-ASCII
        return tuple({lowered.encode(), escaped.encode(), escaped.lower().encode()})

    def matching(self, haystack: bytes) -> list[int]:
        """Numbers (1-based, in the order given) of the values ``haystack`` contains."""
        lowered = haystack.lower()
        return [i for i, forms in enumerate(self.forms, 1) if any(f in lowered for f in forms)]

    def __repr__(self) -> str:
        return f"Needles({len(self.values)} values)"


def read_values(given: Sequence[str], files: Sequence[str]) -> Needles:
    values = list(given)
    for path in files:
        with open(path, encoding="utf-8") as lines:
            values.extend(line.rstrip("\n") for line in lines)
    return Needles(values)


@dataclass(frozen=True)
class Hit:
    where: str
    values: tuple[int, ...]


@dataclass
class Audit:
    topics: int = 0
    partitions: int = 0
    records: int = 0
    databases: int = 0
    collections: int = 0
    documents: int = 0
    topic_hits: list[Hit] = field(default_factory=list)
    document_hits: list[Hit] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return len(self.topic_hits) + len(self.document_hits)


async def audit_personal_data(
    target: Target, needles: Needles, console: Console, *, database_prefix: str
) -> Audit:
    audit = Audit()
    await _audit_topics(target, needles, console, audit)
    await _audit_databases(target, needles, console, audit, database_prefix)
    _summary(audit, console)
    return audit


async def _audit_topics(target: Target, needles: Needles, console: Console, audit: Audit) -> None:
    async with admin_client(target) as admin:
        names = sorted(
            n for n in await admin.list_topics() if n.startswith(target.prefix) and n[:2] != "__"
        )
        described = await admin.describe_topics(names) if names else []
    partitions = {
        d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
        for d in described
    }
    for name in names:
        read = hits = 0
        audit.partitions += len(partitions.get(name, []))
        async with aclosing(_records(target, partitions.get(name, []))) as records:
            async for record in records:
                read += 1
                found = needles.matching(_record_bytes(record))
                if found:
                    hits += 1
                    where = f"{record.topic}/{record.partition}/{record.offset}"
                    audit.topic_hits.append(Hit(where, tuple(found)))
        audit.topics, audit.records = audit.topics + 1, audit.records + read
        console.print(f"topic {name}: {read:,} records, {hits:,} hits")


async def _records(target: Target, partitions: list[TopicPartition]) -> AsyncGenerator[Record]:
    """Every record now in these partitions, from the earliest offset still held to the end
    seen at the start. Done when each partition's position passed that end: a compacted
    partition has gaps and a transaction marker takes an offset no record carries."""
    if not partitions:
        return
    consumer = AIOKafkaConsumer(
        bootstrap_servers=target.bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **target.security,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {p for p in partitions if ends[p] > starts[p]}
        for partition in remaining:
            consumer.seek(partition, starts[partition])
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for partition, records in batches.items():
                for record in records:
                    if record.offset < ends[partition]:
                        yield record
            for partition in list(remaining):
                if await consumer.position(partition) >= ends[partition]:
                    remaining.discard(partition)
    finally:
        await consumer.stop()


def _record_bytes(record: Record) -> bytes:
    parts = [record.key or b"", record.value or b""]
    parts.extend(value or b"" for _, value in record.headers)
    return b"\x00".join(parts)


async def _audit_databases(
    target: Target, needles: Needles, console: Console, audit: Audit, prefix: str
) -> None:
    client = build_mongo_client(target.settings, service="ops-audit")
    try:
        names = sorted(n for n in await client.list_database_names() if n.startswith(prefix))
        for name in names:
            # Raw BSON: strings are matched as stored, nothing decoded or re-encoded.
            db = cast(AsyncDatabase[RawBSONDocument], client.get_database(name, codec_options=RAW))
            audit.databases += 1
            for collection in sorted(await db.list_collection_names()):
                read = hits = 0
                async for document in db[collection].find({}):
                    read += 1
                    if found := needles.matching(bytes(document.raw)):
                        hits += 1
                        where = f"{name}/{collection}/{document.get('_id')!s}"
                        audit.document_hits.append(Hit(where, tuple(found)))
                audit.collections, audit.documents = audit.collections + 1, audit.documents + read
                console.print(f"collection {name}.{collection}: {read:,} documents, {hits:,} hits")
    finally:
        await client.close()


def _summary(audit: Audit, console: Console) -> None:
    shown = [*audit.topic_hits, *audit.document_hits][:SHOWN_HITS]
    if shown:
        where = Table("where (topic/partition/offset or database/collection/_id)", "values")
        for hit in shown:
            where.add_row(hit.where, ", ".join(f"#{n}" for n in hit.values))
        console.print(where)
    summary = Table("scanned", "count", title="Personal-data audit")
    summary.add_row("topics", f"{audit.topics:,}")
    summary.add_row("partitions", f"{audit.partitions:,}")
    summary.add_row("records read", f"{audit.records:,}")
    summary.add_row("databases", f"{audit.databases:,}")
    summary.add_row("collections", f"{audit.collections:,}")
    summary.add_row("documents read", f"{audit.documents:,}")
    summary.add_row("records with a hit", f"{len(audit.topic_hits):,}")
    summary.add_row("documents with a hit", f"{len(audit.document_hits):,}")
    console.print(summary)
    console.print(f"hits: {audit.hits}")
