"""What ``rapport-ops audit personal-data`` found, as tables or as one JSON document.

Neither shows a value: hits are counted per value number (#1 is the first given) and placed by
topic/partition/offset or database/collection/_id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from rapport_schemas import topics

SHOWN_HITS = 50  # where each hit is, up to this many in the tables; the counts are always complete
KINDS = ("events", "personal data", "dead letters", "metric stream", "other")


def topic_kind(base: str) -> str:
    """What a topic (named without the namespace prefix) holds, by the catalogue's names."""
    if base == topics.METRICS:
        return "metric stream"
    if base in topics.PERSONAL:
        return "personal data"
    if base.startswith("rapport.") and base.endswith(".dlq"):
        return "dead letters"
    if base.startswith("rapport.") and base.endswith(".events"):
        return "events"
    return "other"


@dataclass(frozen=True)
class Hit:
    where: str  # topic/partition/offset or database/collection/_id
    place: str  # the topic, or database.collection
    values: tuple[int, ...]


@dataclass
class Scanned:
    """One topic or collection read to its end."""

    kind: str
    name: str
    read: int = 0
    hits: int = 0


@dataclass
class Audit:
    values: int
    topics: list[Scanned] = field(default_factory=list)
    collections: list[Scanned] = field(default_factory=list)
    missing_topics: list[str] = field(default_factory=list)
    partitions: int = 0
    databases: int = 0
    topic_hits: list[Hit] = field(default_factory=list)
    document_hits: list[Hit] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(topic.read for topic in self.topics)

    @property
    def documents(self) -> int:
        return sum(collection.read for collection in self.collections)

    @property
    def hits(self) -> int:
        return len(self.topic_hits) + len(self.document_hits)

    def hits_per_value(self) -> dict[int, int]:
        """Records and documents holding each value, by its number (every number listed)."""
        found = Counter(n for hit in (*self.topic_hits, *self.document_hits) for n in hit.values)
        return {n: found[n] for n in range(1, self.values + 1)}

    def topics_of_kind(self, kind: str) -> list[Scanned]:
        return [topic for topic in self.topics if topic.kind == kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "topics": {
                "scanned": len(self.topics),
                "partitions": self.partitions,
                "records_read": self.records,
                "by_kind": {kind: self._kind_json(kind) for kind in KINDS},
                "not_present": self.missing_topics,
            },
            "databases": {
                "scanned": self.databases,
                "collections": len(self.collections),
                "documents_read": self.documents,
                "read": {c.name: c.read for c in self.collections},
            },
            "hits": self.hits,
            "hits_per_value": {f"#{n}": count for n, count in self.hits_per_value().items()},
            "records_with_a_hit": [_hit_json(hit) for hit in self.topic_hits],
            "documents_with_a_hit": [_hit_json(hit) for hit in self.document_hits],
        }

    def _kind_json(self, kind: str) -> dict[str, Any]:
        scanned = self.topics_of_kind(kind)
        return {
            "topics": [t.name for t in scanned],
            "records_read": sum(t.read for t in scanned),
            "records_with_a_hit": sum(t.hits for t in scanned),
        }


def _hit_json(hit: Hit) -> dict[str, Any]:
    return {"where": hit.where, "in": hit.place, "values": [f"#{n}" for n in hit.values]}


def print_summary(audit: Audit, console: Console) -> None:
    shown = [*audit.topic_hits, *audit.document_hits][:SHOWN_HITS]
    if shown:
        where = Table("where (topic/partition/offset or database/collection/_id)", "values")
        for hit in shown:
            where.add_row(hit.where, ", ".join(f"#{n}" for n in hit.values))
        console.print(where)
    if audit.missing_topics:
        console.print(f"not present (nothing to read): {', '.join(audit.missing_topics)}")
    summary = Table("scanned", "count", title="Personal-data audit")
    summary.add_row("topics", f"{len(audit.topics):,}")
    for kind in KINDS:
        summary.add_row(f"  {kind}", f"{len(audit.topics_of_kind(kind)):,}")
    summary.add_row("partitions", f"{audit.partitions:,}")
    summary.add_row("records read", f"{audit.records:,}")
    summary.add_row("databases", f"{audit.databases:,}")
    summary.add_row("collections", f"{len(audit.collections):,}")
    summary.add_row("documents read", f"{audit.documents:,}")
    summary.add_row("records with a hit", f"{len(audit.topic_hits):,}")
    summary.add_row("documents with a hit", f"{len(audit.document_hits):,}")
    for number, count in audit.hits_per_value().items():
        summary.add_row(f"hits for value #{number}", f"{count:,}")
    console.print(summary)
    console.print(f"hits: {audit.hits}")
