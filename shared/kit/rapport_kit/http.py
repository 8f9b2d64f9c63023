"""HTTP pieces every service mounts: health, readiness, Prometheus metrics and API-key auth."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from opentelemetry.trace import StatusCode
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel

_log = logging.getLogger(__name__)

ReadinessCheck = Callable[[], Awaitable[None]]


class Problem(BaseModel):
    """What every error answer carries: a message, or the field errors of a 422."""

    detail: Any


# Documented on every route (FastAPI(responses=ERROR_RESPONSES)) so clients and fuzzers know
# every status an operation can answer.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {"model": Problem, "description": "Malformed request body"},
    status.HTTP_401_UNAUTHORIZED: {"model": Problem, "description": "Missing or unknown API key"},
    status.HTTP_403_FORBIDDEN: {"model": Problem, "description": "API key lacks the scope"},
    status.HTTP_404_NOT_FOUND: {"model": Problem, "description": "No such resource"},
    status.HTTP_409_CONFLICT: {"model": Problem, "description": "Conflicts with the current state"},
    status.HTTP_410_GONE: {"model": Problem, "description": "Erased, expired or withdrawn"},
}

_bearer = HTTPBearer(auto_error=False, description="API key with scopes")


def operations_router(registry: CollectorRegistry, checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process serves requests."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        """Readiness: every dependency answers."""
        results = {name: await _probe(check) for name, check in checks.items()}
        if any(result != "ok" for result in results.values()):
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return results

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def _probe(check: ReadinessCheck) -> str:
    try:
        await asyncio.wait_for(check(), timeout=2.0)
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"


def require_scope(scope: str) -> Callable[..., Awaitable[str]]:
    """A dependency that admits a bearer API key holding ``scope`` (or ``*``)."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        api_keys: dict[str, list[str]] = request.app.state.api_keys
        if credentials is None or credentials.credentials not in api_keys:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing or unknown API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        scopes = api_keys[credentials.credentials]
        if scope not in scopes and "*" not in scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"API key lacks scope '{scope}'")
        return scope

    return check


def instrument_requests(app: FastAPI, registry: CollectorRegistry) -> None:
    """Count and time requests by route template (bounded labels: never the raw path)."""
    requests = Counter(
        "rapport_http_requests_total",
        "HTTP requests served, by route template and status class.",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "rapport_http_request_duration_seconds",
        "HTTP request latency by route template.",
        ["method", "route"],
        registry=registry,
    )

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception as error:
            # Starlette would log "Exception in ASGI application" without the route, and this
            # counter would miss the 5xx: answer here, log one line, count it.
            response = unhandled_error(request, error)
        template = route_template(request)
        status_class = f"{response.status_code // 100}xx"
        requests.labels(request.method, template, status_class).inc()
        latency.labels(request.method, template).observe(time.perf_counter() - started)
        return response


def route_template(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path", "unmatched"))


def unhandled_error(request: Request, error: Exception) -> Response:
    """Log an unexpected exception (frames and types, no messages) and answer a generic 500."""
    span = trace.get_current_span()
    # The type only (semantic conventions' error.type): the message may quote personal data.
    span.set_attribute("error.type", type(error).__qualname__)
    span.set_status(StatusCode.ERROR)
    context = span.get_span_context()
    trace_id = format(context.trace_id, "032x") if context.is_valid else None
    _log.error(
        "unhandled exception",
        exc_info=error,
        extra={"fields": {"method": request.method, "route": route_template(request)}},
    )
    return JSONResponse(
        {"detail": "internal error", "trace_id": trace_id},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
