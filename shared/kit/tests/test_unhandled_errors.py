"""An unexpected exception in a route: one JSON log line, a 5xx sample, a generic 500 body."""

from __future__ import annotations

import io
import json
import logging

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from rapport_kit.http import instrument_requests
from rapport_kit.logs import JsonFormatter

SECRET = "anna.kovacs@example.hu"


def failing_app(registry: CollectorRegistry) -> FastAPI:
    app = FastAPI()
    instrument_requests(app, registry)

    @app.get("/contacts/{contact_id}")
    async def read(contact_id: str) -> dict[str, str]:
        try:
            raise KeyError(SECRET)
        except KeyError as error:
            raise RuntimeError(f"lookup of {SECRET} failed") from error

    FastAPIInstrumentor.instrument_app(app, tracer_provider=TracerProvider())
    return app


async def test_an_unhandled_exception_is_logged_counted_and_answered_generically() -> None:
    registry, logs = CollectorRegistry(), io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter("contacts"))
    logging.getLogger("rapport_kit.http").addHandler(handler)
    try:
        transport = httpx.ASGITransport(app=failing_app(registry), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.get("/contacts/c-1")
    finally:
        logging.getLogger("rapport_kit.http").removeHandler(handler)

    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "internal error" and len(body["trace_id"]) == 32
    assert SECRET not in response.text and "RuntimeError" not in response.text

    [line] = logs.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["route"] == "/contacts/{contact_id}" and entry["method"] == "GET"
    assert entry["trace_id"] == body["trace_id"]
    assert entry["error"] == "RuntimeError"
    assert "builtins.KeyError" in entry["traceback"] and "raise RuntimeError" in entry["traceback"]
    assert SECRET not in line, "exception messages stay out of the logs"

    sample = registry.get_sample_value(
        "rapport_http_requests_total",
        {"method": "GET", "route": "/contacts/{contact_id}", "status": "5xx"},
    )
    assert sample == 1
