"""The ``Idempotency-Key`` header on a route: admit, replay or refuse before the handler runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse

from rapport_kit.callers import caller_id
from rapport_kit.clock import utc_now
from rapport_kit.idempotency import (
    HEADER,
    MAX_KEY_LENGTH,
    IdempotencyRefusal,
    KeptAnswer,
    KeyedRequest,
    StillInFlight,
    fingerprint,
    key_id,
    parse_key,
)
from rapport_kit.idempotency.store import IdempotencyGuard

REPLAYED = "Idempotent-Replayed"
KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        max_length=MAX_KEY_LENGTH + 2,
        description="Any unique value (e.g. a UUID) per intended operation: a retry with the same "
        "key and body answers the first response instead of acting twice (IETF httpapi "
        "Idempotency-Key draft). Another body with the same key is 422; a retry while the first "
        "is still being processed is 409.",
    ),
]


class Replayed(Exception):
    def __init__(self, kept: KeptAnswer) -> None:
        super().__init__(kept.status_code)
        self.kept = kept


def keyed(
    target: Callable[[Request, bytes], str],
) -> Callable[[Request, str | None], AsyncIterator[KeyedRequest | None]]:
    """A dependency: ``None`` without the header, else the admitted request; ``target`` names the
    document the route's change writes from the request and its body (a new id for a creation).
    It runs before FastAPI validates the body: a body it cannot read is refused by that
    validation, which releases the key again."""

    async def admit(request: Request, key: KeyHeader = None) -> AsyncIterator[KeyedRequest | None]:
        if key is None:
            yield None
            return
        guard: IdempotencyGuard = request.app.state.idempotency
        retention: timedelta = request.app.state.idempotency_retention
        body = await request.body()
        proposed = KeyedRequest(
            key_id(caller_id(request), parse_key(key)),
            fingerprint(request.method, request.url.path, body),
            target(request, body),
            utc_now() + retention,
        )
        admitted = await guard.begin(proposed)
        if isinstance(admitted, KeptAnswer):
            raise Replayed(admitted)
        try:
            yield admitted
        except Exception:
            await guard.release(admitted)
            raise

    return admit


def install(app: FastAPI) -> None:
    """The answers of a replay and of a refusal; the guard itself is set in the lifespan
    (``app.state.idempotency``, ``app.state.idempotency_retention``)."""
    app.add_exception_handler(Replayed, _replay)
    app.add_exception_handler(IdempotencyRefusal, _refuse)


async def _replay(request: Request, error: Exception) -> Response:
    assert isinstance(error, Replayed)
    kept = error.kept
    return Response(
        kept.body,
        status_code=kept.status_code,
        media_type="application/json",
        headers={REPLAYED: "true"},
    )


async def _refuse(request: Request, error: Exception) -> Response:
    assert isinstance(error, IdempotencyRefusal)
    headers = {"Retry-After": "1"} if isinstance(error, StillInFlight) else None
    return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)
