"""In-memory stand-ins the services' unit tests share: a clock a test sets, a read model folded
into dictionaries, and publishing a CloudEvent to FastStream's in-memory broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from faststream.kafka import KafkaBroker

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.mongo import Document
from rapport_kit.projection import fold
from rapport_kit.rebuild import ReadModel
from rapport_kit.settings import ServiceSettings
from rapport_schemas import CloudEvent, EventData


class SettableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class InMemoryReadModel:
    """A read model's apply step folding into dictionaries with the kit's pure ``fold``, in
    place of the MongoDB projection stores (``ProjectionConsumer``)."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model
        self.documents: dict[str, dict[str, Document]] = {
            projection.collection: {} for projection in model.projections
        }

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        events = [received.projected for received in batch]
        for projection in self.model.projections:
            documents = self.documents[projection.collection]
            documents.update(fold(projection, documents, events).changed)


async def publish_event(
    broker: KafkaBroker,
    settings: ServiceSettings,
    event: CloudEvent[EventData],
    *,
    base_topic: str,
    partition: int | None = None,
) -> str:
    """Publish ``event`` as the producing service would (structured JSON, key = its subject)."""
    await broker.publish(
        event.model_dump_json().encode(),
        topic=settings.topic(base_topic),
        key=event.subject.encode(),
        partition=partition,
    )
    return event.id
