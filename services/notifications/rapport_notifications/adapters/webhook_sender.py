"""POSTs a signed delivery with httpx; every outcome is an ``Answer``, never an exception."""

from __future__ import annotations

import httpx

from rapport_notifications.domain.webhook_delivery import Answer

MAX_RESPONSE_BYTES = 1024  # a receiver's answer body is not read beyond this


class HttpWebhookSender:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        # Redirects are not followed (httpx's default): a 3xx is the receiver's error to fix,
        # and following it would send signed events to an address nobody subscribed.
        try:
            async with self.client.stream("POST", url, content=body, headers=headers) as answer:
                await _read_a_little(answer)
                return Answer(
                    status=answer.status_code, retry_after=answer.headers.get("retry-after")
                )
        except httpx.TimeoutException:
            return Answer(error="timeout")
        except httpx.TransportError:
            return Answer(error="connection")


async def _read_a_little(answer: httpx.Response) -> None:
    read = 0
    async for chunk in answer.aiter_raw():
        read += len(chunk)
        if read >= MAX_RESPONSE_BYTES:
            break
