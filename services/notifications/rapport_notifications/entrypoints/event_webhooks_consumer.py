"""The ``event-webhooks`` consumer (its own group): every event read becomes the deliveries of
the subscriptions it matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport_kit.consuming import ReceivedEvent
from rapport_notifications.service_layer.webhook_fanout import ReadEvent, WebhookFanOut


@dataclass
class EventWebhookConsumer:
    fan_out: WebhookFanOut

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        await self.fan_out.take_in([ReadEvent(r.event, r.offset) for r in batch])
