"""Read models folded from events, idempotently, without multi-document transactions.

Every read-model document carries ``_wm``: per source partition, the offset of the last event
folded into it, and ``_v``: a version for optimistic concurrency. Redelivering a batch therefore
changes nothing already stored, and a crash half-way through a batch's writes is repaired by the
redelivery. Events *republished* under the same id (an outbox relay that crashed after publishing)
arrive at new offsets; ``seen`` stores the coordinates where each event id was first seen so they
are recognised too. Projections are pure: ``keys`` routes, ``evolve`` folds, both on a
``ProjectedEvent`` (the event and its coordinates; the Kafka record and the trace context stay
with ``consuming.ProjectedEvent``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from rapport_schemas import CloudEvent, EventData

Document = dict[str, Any]
Lookup = Callable[[str], Document | None]
WATERMARKS = "_wm"
VERSION = "_v"


@dataclass(frozen=True)
class ProjectedEvent:
    """What a projection sees of a consumed event: the event and the coordinates that make a
    redelivery recognisable (the watermark), nothing of the transport."""

    event: CloudEvent[EventData]
    topic: str
    partition: int
    offset: int

    @property
    def data(self) -> EventData:
        return self.event.data


class Tombstone(EventData):
    """A null-value record of a personal topic: erase what ``key`` names (the kit hands it
    over as a ``ProjectedEvent``'s data, ``rapport_kit.personal``; here, pure, for the views)."""

    event_type: ClassVar[str] = "rapport.kit.tombstone"  # never on the wire
    topic: ClassVar[str] = ""  # any personal topic: ``personal_topic`` says which

    personal_topic: str  # without the deployment's prefix, e.g. topics.CONTACTS_PERSONAL
    key: str
    contact_id: str

    def partition_key(self) -> str:
        return self.key

    @property
    def item(self) -> tuple[str, str] | None:
        """``(kind, id)`` of an item key (``<contact>:interaction:<id>`` → ``("interaction",
        id)``); None for the contact's own record (key ``<contact_id>``)."""
        _, _, rest = self.key.partition(":")
        kind, _, item_id = rest.partition(":")
        return (kind, item_id) if rest else None


class Projection(Protocol):
    """A pure read-model definition."""

    collection: str

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        """Ids of the documents this event changes (in the order they must be evolved)."""
        ...

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        """The document's new state; ``lookup`` reads another document of this batch's state."""
        ...


def partition_mark(received: ProjectedEvent) -> str:
    """A watermark key; dots would make MongoDB read it as a path."""
    return f"{received.topic.replace('.', '_')}~{received.partition}"


@dataclass
class FoldResult:
    """Documents to write, with the version each was read at (0 = did not exist), and every
    touched document as it stands after the fold (changed or already up to date)."""

    changed: dict[str, Document] = field(default_factory=dict)
    read_versions: dict[str, int] = field(default_factory=dict)
    # Events already folded into every document they touch (a redelivery): skipped entirely.
    already_applied: set[str] = field(default_factory=set)
    current: dict[str, Document] = field(default_factory=dict)


def fold(
    projection: Projection, loaded: dict[str, Document], events: Iterable[ProjectedEvent]
) -> FoldResult:
    """Apply, in order, each event to each document whose watermark it has not passed yet."""
    current = {key: dict(document) for key, document in loaded.items()}
    result = FoldResult(
        read_versions={k: int(d.get(VERSION, 0)) for k, d in loaded.items()}, current=current
    )
    for received in events:
        mark = partition_mark(received)
        keys, skipped = projection.keys(received), 0
        for key in keys:
            document = current.get(key)
            watermarks: dict[str, int] = dict(document.get(WATERMARKS, {})) if document else {}
            if watermarks.get(mark, -1) >= received.offset:
                skipped += 1
                continue
            state = projection.evolve(
                _state(document), received, key, lambda k: _state(current.get(k))
            )
            watermarks[mark] = received.offset
            version = result.read_versions.setdefault(key, 0)
            current[key] = {**state, "_id": key, WATERMARKS: watermarks, VERSION: version + 1}
            result.changed[key] = current[key]
        if keys and skipped == len(keys):
            result.already_applied.add(received.event.id)
    return result


def _state(document: Document | None) -> Document | None:
    if document is None:
        return None
    return {k: v for k, v in document.items() if k not in ("_id", WATERMARKS, VERSION)}
