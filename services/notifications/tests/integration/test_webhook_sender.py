"""The httpx sender against real loopback sockets: every outcome is an Answer the relay judges."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Response

from rapport_notifications.adapters.webhook_sender import HttpWebhookSender
from rapport_notifications.domain.webhook_delivery import Verdict, judge
from services.notifications.tests.integration.helpers import free_port
from tests.support.http_server import listening

pytestmark = pytest.mark.integration


async def test_an_unreachable_receiver_is_a_connection_error_to_retry() -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        answer = await HttpWebhookSender(client).post(
            f"http://127.0.0.1:{free_port()}/hook", b"{}", {}
        )
    assert (answer.status, answer.error, judge(answer)) == (None, "connection", Verdict.RETRY)


async def test_a_receiver_that_never_answers_is_a_timeout_to_retry() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(timeout=0.3) as client:
            answer = await HttpWebhookSender(client).post(f"http://127.0.0.1:{port}/", b"{}", {})
    finally:
        server.close()
    assert (answer.error, judge(answer)) == ("timeout", Verdict.RETRY)


async def test_status_and_retry_after_are_read_and_redirects_not_followed() -> None:
    app = FastAPI()

    @app.post("/busy")
    async def busy() -> Response:
        return Response(status_code=503, headers={"Retry-After": "7"})

    @app.post("/moved")
    async def moved() -> Response:
        return Response(status_code=308, headers={"Location": "/busy"})

    async with listening(app) as base_url, httpx.AsyncClient(timeout=2.0) as client:
        sender = HttpWebhookSender(client)
        busy_answer = await sender.post(f"{base_url}/busy", b"{}", {})
        moved_answer = await sender.post(f"{base_url}/moved", b"{}", {})
    assert (busy_answer.status, busy_answer.retry_after) == (503, "7")
    assert (moved_answer.status, judge(moved_answer)) == (308, Verdict.REJECTED)
