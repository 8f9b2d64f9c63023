"""The ``triggers`` consumer: contact and feedback events, decoded by the kit's batch consumer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport_kit.consuming import ApplyBatch, ReceivedEvent
from rapport_notifications.service_layer.intake import Intake


@dataclass
class TriggerConsumer:
    """Fold the contact directory first (the worker reads it), then take the triggers in."""

    directory: ApplyBatch  # the kit's projection consumer of the directory view
    intake: Intake

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        await self.directory(batch)
        await self.intake.take_in([received.event for received in batch])
