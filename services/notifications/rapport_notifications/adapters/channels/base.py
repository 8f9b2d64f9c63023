"""The port every delivery channel implements, and how it reports failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rapport_notifications.domain.rendering import Rendered
from rapport_schemas.common import Channel


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str  # stable per (trigger, template, recipient): receivers can dedupe on it
    contact_id: str
    address: str
    rendered: Rendered


class DeliveryError(Exception):
    """``permanent``: retrying cannot help (bad address, 4xx); otherwise retried with backoff."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


class DeliveryChannel(Protocol):
    channel: Channel

    async def send(self, message: OutgoingMessage) -> None:
        """Return once the provider accepted the message; raise ``DeliveryError`` otherwise."""
        ...
