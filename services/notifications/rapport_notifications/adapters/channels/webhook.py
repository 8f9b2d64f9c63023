"""A signed webhook standing for SMS/chat providers.

The body is signed like Stripe/Slack webhooks: ``X-Rapport-Signature: t=<unix>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, "<t>.<body>")``; receivers reject stale timestamps to stop replays.
``X-Rapport-Delivery-Id`` is the idempotency key the provider can dedupe on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from rapport_notifications.service_layer.ports import DeliveryError, OutgoingMessage
from rapport_schemas.common import Channel

SIGNATURE_HEADER = "X-Rapport-Signature"
DELIVERY_HEADER = "X-Rapport-Delivery-Id"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookChannel:
    channel = Channel.SMS

    def __init__(self, client: httpx.AsyncClient, *, url: str, secret: str) -> None:
        self.client = client
        self.url = url
        self.secret = secret

    async def send(self, message: OutgoingMessage) -> None:
        body = json.dumps(_payload(message), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(self.secret, int(time.time()), body),
            DELIVERY_HEADER: message.notification_id,
        }
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
        except httpx.TransportError as error:  # timeouts, refused connections
            raise DeliveryError(f"webhook {type(error).__name__}", permanent=False) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise DeliveryError(f"webhook HTTP {response.status_code}", permanent=False)
        if response.status_code >= 400:
            raise DeliveryError(f"webhook HTTP {response.status_code}", permanent=True)


def _payload(message: OutgoingMessage) -> dict[str, str]:
    rendered = message.rendered
    return {
        "notification_id": message.notification_id,
        "contact_id": message.contact_id,
        "to": message.address,
        "template": rendered.template.value,
        "locale": rendered.locale,
        "direction": rendered.direction,
        "subject": rendered.subject,
        "text": rendered.text,
    }
