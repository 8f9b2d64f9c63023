"""What the kit knows of the personal topics (``rapport_schemas.topics.PERSONAL``): which topic a
record was read from, the tombstone a consumer is handed for a null value, and the roll keys.

A personal topic is compacted: the newest record of a key is its value, and a tombstone (the same
key, a null value) erases it. A consumer sees a tombstone as a ``ReceivedEvent`` whose ``data`` is
a ``Tombstone``, so projections route it (``keys``) and fold it (``evolve``) like any event, with
watermarks and redelivery as usual, and pattern-match it::

    match received.data:
        case Tombstone(personal_topic=topics.CONTACTS_PERSONAL, contact_id=contact_id): ...

Its envelope is made up by the kit (nothing of it was on the wire): id
``tombstone:<topic>:<partition>:<offset>``, subject the contact id (the key up to its first
``:``), ``partitionkey`` the key, time the record's timestamp.

A producer of a personal topic creates it with ``admin.personal_topic_configs(deadline_hours)``
(``ServiceRuntime.run(topic_configs=…)``), writes its tombstones through the outbox
(``outbox.OutboxTombstone``) and rolls the segments while erasures are pending
(``roll_segments``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from rapport_kit.broker import acknowledged, enqueue
from rapport_kit.projection import Tombstone as Tombstone  # noqa: PLC0414 (re-exported: views import it pure)
from rapport_schemas import CloudEvent, EventData, UndecodableEvent, topics

TOMBSTONE_SOURCE = "/rapport/kit/tombstone"
# Keys of the tombstones a producer appends to each partition of its personal topic only to make
# the active segment roll (Kafka never compacts it): no contact's, skipped by every consumer.
ROLL_KEY_PREFIX = "_roll:"


def personal_topic_of(topic: str) -> str | None:
    """The personal topic (unprefixed) ``topic`` is, as a broker names it; None for any other."""
    return next((base for base in topics.PERSONAL if topic.endswith(base)), None)


def roll_key(partition: int) -> str:
    """The key of a roll tombstone for ``partition`` (send it to that partition explicitly)."""
    return f"{ROLL_KEY_PREFIX}{partition}"


async def roll_segments(broker: KafkaBroker, topic: str, *, partitions: int) -> None:
    """Append a roll tombstone to each of the ``partitions`` of ``topic`` (as the broker names
    it): Kafka rolls a segment older than ``segment.ms`` only on an append, and never compacts
    the active one, so a producer calls this every ``segment.ms`` while erasures are pending."""
    await acknowledged(
        [
            await enqueue(broker, None, topic=topic, key=roll_key(p).encode(), partition=p)
            for p in range(partitions)
        ]
    )


def is_roll(record: ConsumerRecord[bytes, bytes]) -> bool:
    return record.value is None and (record.key or b"").startswith(ROLL_KEY_PREFIX.encode())


def tombstone_event(
    record: ConsumerRecord[bytes, bytes], personal_topic: str
) -> CloudEvent[EventData]:
    """The event a consumer is handed for the null-value ``record`` of ``personal_topic``; an
    ``UndecodableEvent`` (a dead letter) if it has no usable key."""
    key = (record.key or b"").decode("utf-8", "replace")
    if not key:
        raise UndecodableEvent("invalid_tombstone", "tombstone without a key")
    contact_id = key.partition(":")[0]
    try:
        return CloudEvent[EventData](
            id=f"tombstone:{record.topic}:{record.partition}:{record.offset}",
            source=TOMBSTONE_SOURCE,
            type=Tombstone.event_type,
            time=datetime.fromtimestamp(max(record.timestamp, 0) / 1000, UTC),
            subject=contact_id,
            dataschema="",
            partitionkey=key,
            data=Tombstone(personal_topic=personal_topic, key=key, contact_id=contact_id),
        )
    except ValidationError:
        raise UndecodableEvent("invalid_tombstone", "key too long or empty contact id") from None
