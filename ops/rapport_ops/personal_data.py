"""``rapport-ops audit personal-data``: where a person's data can still be read.

Reads every topic of the deployment's namespace from its earliest offset (the event topics, the
personal-data topics, every dead-letter topic, the metric stream, any other topic found there) and
every document of every Rapport database, and counts the records and documents that contain any
of the values asked for (an e-mail, a phone number, a name, a phrase from a comment). The values
are never printed nor logged: a hit is reported by where it is (topic/partition/offset,
database/collection/_id) and by the number of the value that matched (#1 is the first value
given). The well-known topics the namespace lacks are named (nothing there to read), so a clean
audit says which places it looked at.

Matching is on the raw bytes (Kafka key, value and headers; a document's BSON), case-insensitive,
in UTF-8 and in JSON's ASCII escapes (``\\u00f3``), so a value written by any serializer counts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from rapport_kit.mongo import build_mongo_client
from rapport_ops.connection import Target
from rapport_ops.kafka_io import Record, admin_client
from rapport_ops.personal_data_report import Audit, Hit, Scanned, topic_kind
from rapport_schemas import topics

__all__ = ["Audit", "Needles", "audit_personal_data", "read_values"]

RAW: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument)


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


def well_known_topics() -> list[str]:
    """Every base topic a Rapport deployment may have: events, personal data, dead letters and
    the metric stream (an audit names those it did not find)."""
    dead_letters = [topics.dead_letter_topic(service) for service in topics.PRODUCERS]
    return sorted({*topics.ALL, *topics.PERSONAL, *dead_letters})


async def audit_personal_data(
    target: Target, needles: Needles, console: Console, *, database_prefix: str
) -> Audit:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,  # the per-topic and per-collection lines stay, the bars go
    ) as progress:
        scan = _Scan(target, needles, console, progress, Audit(values=len(needles.values)))
        await scan.topics()
        await scan.databases(database_prefix)
    return scan.audit


@dataclass
class _Scan:
    target: Target
    needles: Needles
    console: Console
    progress: Progress
    audit: Audit

    async def topics(self) -> None:
        prefix = self.target.prefix
        async with admin_client(self.target) as admin:
            names = sorted(
                n for n in await admin.list_topics() if n.startswith(prefix) and n[:2] != "__"
            )
            described = await admin.describe_topics(names) if names else []
        partitions = {
            d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d["partitions"]]
            for d in described
        }
        known = map(self.target.topic, well_known_topics())
        self.audit.missing_topics = [name for name in known if name not in names]
        await self._read(names, partitions)

    async def _read(self, names: list[str], partitions: dict[str, list[TopicPartition]]) -> None:
        """Every topic through one consumer (one connection, not one per topic)."""
        scanned = {n: Scanned(topic_kind(n.removeprefix(self.target.prefix)), n) for n in names}
        assigned = [partition for name in names for partition in partitions.get(name, [])]
        self.audit.partitions += len(assigned)
        task = self.progress.add_task(f"{len(names)} topics", total=None)
        async with aclosing(_records(self.target, assigned, self.progress, task)) as records:
            async for record in records:
                topic = scanned[record.topic]
                topic.read += 1
                self.progress.advance(task)
                if values := self.needles.matching(_record_bytes(record)):
                    topic.hits += 1
                    where = f"{record.topic}/{record.partition}/{record.offset}"
                    self.audit.topic_hits.append(Hit(where, record.topic, tuple(values)))
        self.progress.remove_task(task)
        self.audit.topic_hits.sort(key=lambda hit: _coordinates(hit.where))
        for topic in scanned.values():
            self.audit.topics.append(topic)
            self.console.print(
                f"topic {topic.name} ({topic.kind}): {topic.read:,} records, {topic.hits:,} hits"
            )

    async def databases(self, prefix: str) -> None:
        client = build_mongo_client(self.target.settings, service="ops-audit")
        try:
            names = sorted(n for n in await client.list_database_names() if n.startswith(prefix))
            for name in names:
                # Raw BSON: strings are matched as stored, nothing decoded or re-encoded.
                db = client.get_database(name, codec_options=RAW)
                self.audit.databases += 1
                for collection in sorted(await db.list_collection_names()):
                    await self._collection(cast(AsyncDatabase[RawBSONDocument], db), collection)
        finally:
            await client.close()

    async def _collection(self, db: AsyncDatabase[RawBSONDocument], collection: str) -> None:
        scanned = Scanned("collection", f"{db.name}.{collection}")
        task = self.progress.add_task(f"collection {scanned.name}", total=None)
        async for document in db[collection].find({}):
            scanned.read += 1
            self.progress.advance(task)
            if values := self.needles.matching(bytes(document.raw)):
                scanned.hits += 1
                where = f"{db.name}/{collection}/{document.get('_id')!s}"
                self.audit.document_hits.append(Hit(where, scanned.name, tuple(values)))
        self.progress.remove_task(task)
        self.audit.collections.append(scanned)
        self.console.print(
            f"collection {scanned.name}: {scanned.read:,} documents, {scanned.hits:,} hits"
        )


async def _records(
    target: Target, partitions: list[TopicPartition], progress: Progress, task: TaskID
) -> AsyncGenerator[Record]:
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
        # At most this many: compaction and transaction markers leave offsets without a record.
        progress.update(task, total=sum(ends[p] - starts[p] for p in partitions))
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


def _coordinates(where: str) -> tuple[str, int, int]:
    topic, partition, offset = where.rsplit("/", 2)
    return topic, int(partition), int(offset)


def _record_bytes(record: Record) -> bytes:
    parts = [record.key or b"", record.value or b""]
    parts.extend(value or b"" for _, value in record.headers)
    return b"\x00".join(parts)
