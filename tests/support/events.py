"""Build ``ReceivedEvent``s, ``ProjectedEvent``s and records without a broker."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.projection import ProjectedEvent
from rapport_schemas import wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
)


def record(
    value: bytes, *, offset: int, partition: int = 0, topic: str = "t", key: bytes | None = b"k"
) -> ConsumerRecord[bytes, bytes]:
    key_size = len(key) if key is not None else -1
    return ConsumerRecord(
        topic, partition, offset, 0, 0, key, value, None, key_size, len(value), []
    )


def interaction(contact: str = "c1", *, channel: Channel = Channel.EMAIL) -> InteractionLoggedV1:
    """An interaction as contacts publishes it today (v1)."""
    return InteractionLoggedV1(
        interaction_id=f"i-{contact}",
        contact_id=contact,
        channel=channel,
        direction=Direction.INBOUND,
        kind=InteractionKind.SUPPORT,
        occurred_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
    )


def received(
    data: InteractionLogged, *, offset: int, partition: int = 0, event_id: str | None = None
) -> ReceivedEvent:
    event = wrap(data, source="/test", event_id=event_id)
    raw = event.model_dump_json().encode()
    keyed = record(raw, offset=offset, partition=partition, key=event.subject.encode())
    return ReceivedEvent(event, "t", partition, offset, keyed)


def projected(
    data: InteractionLogged, *, offset: int, partition: int = 0, event_id: str | None = None
) -> ProjectedEvent:
    """What a projection sees of ``received(...)``."""
    return received(data, offset=offset, partition=partition, event_id=event_id).projected
