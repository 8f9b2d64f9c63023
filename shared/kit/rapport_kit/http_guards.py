"""Request hardening every service installs: any malformed input gets a 4xx, never a 500.

- A body over ``http_max_body_bytes`` is refused with 413 before anything parses it.
- JSON bodies are parsed strictly first (``rapport_schemas.raw_json``): ``NaN``, ``Infinity``,
  ``1e400``, lone surrogates and absurd nesting are 422 (they used to pass FastAPI's parser and
  fail later, e.g. in the 422 handler echoing a value JSON cannot encode, or in BSON).
- Datetimes outside ``http_earliest_year``..``http_latest_year`` in a body or a query are 422, and
  so are times of an event (``occurred_at``, ``changed_at``) more than ``http_future_skew_seconds``
  ahead: year 9999 or 0001 overflowed date arithmetic (deadlines, time zones) into 500s.
- 422 bodies carry at most a short excerpt of what was sent (a 5 MB body was echoed back whole).
- ``PathId`` is the one type of every id in a path: ``$where``, ``..``, NUL, emoji or 3,000
  characters are 422 before any handler runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Path, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport_kit.settings import ServiceSettings
from rapport_schemas import raw_json

PathId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="An id.")
]
EXCERPT_CHARS = 40
EVENT_TIME_FIELDS = frozenset({"occurred_at", "changed_at"})
_DATE_LIKE = re.compile(r"^([+-]?\d{4,})-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}.*)?$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int
    earliest_year: int
    latest_year: int
    future_skew: timedelta

    @classmethod
    def of(cls, settings: ServiceSettings) -> RequestLimits:
        return cls(
            max_body_bytes=settings.http_max_body_bytes,
            earliest_year=settings.http_earliest_year,
            latest_year=settings.http_latest_year,
            future_skew=timedelta(seconds=settings.http_future_skew_seconds),
        )


class Refused(Exception):
    """One malformed input: the status and the FastAPI-shaped ``detail`` to answer."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.detail = detail


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Call before ``instrument_requests`` (refusals are counted like any answer) and before the
    API's routers are included (they document the 413)."""
    limits = RequestLimits.of(settings)
    app.router.responses.setdefault(
        status.HTTP_413_CONTENT_TOO_LARGE,
        {"description": f"Request body over {limits.max_body_bytes} bytes"},
    )
    app.add_middleware(GuardedRequests, limits=limits)
    app.add_exception_handler(RequestValidationError, _validation_error)


class GuardedRequests:
    """Pure ASGI: reads the body once (bounded), checks it, then replays it to the app."""

    def __init__(self, app: ASGIApp, *, limits: RequestLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_query(scope, self.limits)
            body = await self._bounded_body(scope, receive)
            if body:
                _check_json_body(scope, body, self.limits)
        except Refused as refusal:
            answer = JSONResponse({"detail": refusal.detail}, status_code=refusal.status_code)
            await answer(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    async def _bounded_body(self, scope: Scope, receive: Receive) -> bytes:
        if scope["method"] not in _BODY_METHODS:
            return b""
        limit = self.limits.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:  # chunked uploads declare no length
                raise _too_large(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _too_large(limit: int) -> Refused:
    return Refused(status.HTTP_413_CONTENT_TOO_LARGE, f"request body larger than {limit} bytes")


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: wait for the disconnect as usual
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _check_json_body(scope: Scope, body: bytes, limits: RequestLimits) -> None:
    content_type = dict(scope["headers"]).get(b"content-type", b"application/json")
    if b"json" not in content_type.lower():
        return  # forms and other media are parsed (and bounded) by their own routes
    try:
        document = raw_json.loads(body)
    except raw_json.HostileJson as error:
        raise _unprocessable(("body",), error.detail, error.reason) from None
    for location, value in _strings(document, ("body",)):
        _check_date_like(location, value, limits)


def _check_query(scope: Scope, limits: RequestLimits) -> None:
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        _check_date_like(("query", name), value, limits)


def _strings(value: Any, location: tuple[str | int, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*location, index))


def _check_date_like(location: tuple[Any, ...], value: str, limits: RequestLimits) -> None:
    matched = _DATE_LIKE.match(value)
    if matched is None:
        return
    year = int(matched.group(1))
    if not limits.earliest_year <= year <= limits.latest_year:
        span = f"{limits.earliest_year}–{limits.latest_year}"
        raise _unprocessable(location, f"year must be within {span}", "datetime_range")
    if location[-1] in EVENT_TIME_FIELDS and _later_than_allowed(value, limits.future_skew):
        raise _unprocessable(location, "must not be in the future", "datetime_future")


def _later_than_allowed(value: str, skew: timedelta) -> bool:
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False  # not a datetime after all: the route's own validation answers
    if moment.tzinfo is None:
        return False  # naive datetimes are refused by the routes (AwareDatetime)
    return moment > datetime.now(UTC) + skew


def _unprocessable(location: tuple[Any, ...], message: str, kind: str) -> Refused:
    detail = [{"loc": list(location), "msg": message, "type": kind}]
    return Refused(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [_without_echo(item) for item in error.errors()[:20]]
    return JSONResponse(
        {"detail": jsonable_encoder(details)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def _without_echo(item: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's default echoes the whole ``input`` (any size, even unencodable values)."""
    shown = {
        "loc": [_excerpt(part) if isinstance(part, str) else part for part in item.get("loc", ())],
        "msg": _excerpt(str(item.get("msg", "")), limit=200),
        "type": str(item.get("type", "")),
    }
    if isinstance(item.get("input"), str):  # scalars only: never a whole object or body
        shown["input"] = _excerpt(item["input"])
    return shown


def _excerpt(text: str, *, limit: int = EXCERPT_CHARS) -> str:
    safe = text.encode("utf-8", "replace").decode("utf-8")
    return safe if len(safe) <= limit else safe[:limit] + "…"
