"""A subscriber's endpoint on a real loopback port (uvicorn): it verifies every delivery with
the ``standardwebhooks`` reference library and answers from a script of statuses per contact."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.http_server import listening


@dataclass(frozen=True)
class Received:
    endpoint: str
    webhook_id: str
    event: dict[str, Any]
    status: int
    at: float  # time.monotonic() when it arrived
    traceparent: str | None = None


@dataclass
class Receiver:
    """``secrets``: endpoint name → whsec_ secret; ``scripts``: contact id → statuses each
    endpoint answers in turn (then 200); a status given as ``(429, "1")`` carries that
    Retry-After."""

    secrets: dict[str, str] = field(default_factory=dict)
    scripts: dict[str, list[int | tuple[int, str]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    forged: int = 0  # deliveries whose signature did not verify
    _left: dict[tuple[str, str], list[int | tuple[int, str]]] = field(default_factory=dict)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/{endpoint}")
        async def hook(endpoint: str, request: Request) -> Response:
            body = await request.body()
            try:
                event = Webhook(self.secrets[endpoint]).verify(body, dict(request.headers))
            except (WebhookVerificationError, KeyError):
                self.forged += 1
                return Response(status_code=401)
            status, retry_after = self._answer(endpoint, event["subject"])
            webhook_id = request.headers["webhook-id"]
            traceparent = request.headers.get("traceparent")
            arrived = Received(endpoint, webhook_id, event, status, time.monotonic(), traceparent)
            self.received.append(arrived)
            headers = {"retry-after": retry_after} if retry_after else {}
            return Response(status_code=status, headers=headers)

        return app

    def _answer(self, endpoint: str, contact: str) -> tuple[int, str | None]:
        script = self._left.setdefault((endpoint, contact), list(self.scripts.get(contact, [])))
        step = script.pop(0) if script else 200
        return (step, None) if isinstance(step, int) else step

    def attempts(self, endpoint: str) -> list[Received]:
        return [r for r in self.received if r.endpoint == endpoint]

    def accepted(self, endpoint: str) -> list[Received]:
        return [r for r in self.attempts(endpoint) if r.status < 300]

    def ids(self, endpoint: str, contact: str) -> list[str]:
        """The accepted deliveries' event ids for one contact, in arrival order."""
        return [r.webhook_id for r in self.accepted(endpoint) if r.event["subject"] == contact]


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    """The receiver listening; yields its base URL."""
    async with listening(receiver.app()) as base_url:
        yield base_url
