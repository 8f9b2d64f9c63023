"""Safe retries of the POSTs that create or append: the ``Idempotency-Key`` request header.

Semantics of the IETF httpapi draft (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/):
the first request with a key is processed and its answer kept; the same key with the same request
(method, path and body: its fingerprint) answers that first status and body again without doing
anything twice; the same key with another request is 422; a retry while the first is still being
processed is 409. Keys belong to the caller (the API key's identity) and are kept for a configured
time, after which a key is new again.

Crash safety without transactions: the kept answer is a field of the very document the change
writes, set by the same single-document write (``KeptAnswer.fields``), so a change can never be
stored without its key, nor the key without the change. A claim (``store.IdempotencyGuard``) only
says where that document is and that a request is in flight; it holds no answer and no personal
data. This module is pure (the service layer imports it); ``store`` and ``http`` do the I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

HEADER = "Idempotency-Key"
# The field of an aggregate document holding its kept answers, by key id.
RECORDS = "idempotency"
MAX_KEY_LENGTH = 255
_LOCATION = ["header", HEADER]

T = TypeVar("T")


class IdempotencyRefusal(Exception):
    """A keyed request that is not processed: its status and FastAPI-shaped ``detail``."""

    status_code = 422

    def __init__(self, detail: Any) -> None:
        super().__init__(detail)
        self.detail = detail


class MalformedKey(IdempotencyRefusal):
    def __init__(self, problem: str) -> None:
        super().__init__([{"loc": _LOCATION, "msg": problem, "type": "idempotency_key"}])


class KeyReused(IdempotencyRefusal):
    """The draft's 422: the key was first used with another request."""

    def __init__(self) -> None:
        message = "this key was already used with another request (method, path or body)"
        super().__init__([{"loc": _LOCATION, "msg": message, "type": "idempotency_key_reused"}])


class StillInFlight(IdempotencyRefusal):
    """The draft's 409: the first request with this key has not finished yet."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(f"a request with this {HEADER} is still being processed; retry later")


def parse_key(value: str) -> str:
    """The key of the header: an RFC 8941 sf-string (``"…"``, as the draft defines it) or, as many
    clients send it, the bare value; printable ASCII, 1 to ``MAX_KEY_LENGTH`` characters."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text:
        raise MalformedKey("must not be empty")
    if len(text) > MAX_KEY_LENGTH:
        raise MalformedKey(f"must be at most {MAX_KEY_LENGTH} characters")
    if any(not " " < character < "\x7f" or character in '"\\' for character in text):
        raise MalformedKey("only printable ASCII without spaces, quotes or backslashes")
    return text


def key_id(caller: str, key: str) -> str:
    """Where the key is stored: a digest, so a key (perhaps guessable) is never kept readable and
    two callers' equal keys never meet."""
    return hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request's identity: a JSON body is compared by content (key order and spacing aside)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


@dataclass(frozen=True)
class KeptAnswer:
    """The first answer to a keyed request, stored in the document its change wrote."""

    key_id: str
    fingerprint: str
    status_code: int
    body: str
    expires_at: datetime

    def fields(self) -> dict[str, Any]:
        """A ``$set`` fragment: added to the update that writes the change."""
        return {f"{RECORDS}.{self.key_id}": self.document()}

    def document(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status_code,
            "body": self.body,
            "expires_at": self.expires_at,
        }

    @classmethod
    def of(cls, key: str, document: dict[str, Any]) -> KeptAnswer:
        return cls(
            key,
            document["fingerprint"],
            document["status"],
            document["body"],
            document["expires_at"],
        )


@dataclass(frozen=True)
class KeyedRequest:
    """A request carrying a key, admitted for processing; ``target`` is the id of the document
    its change writes (chosen up front for a creation, so a retry finds it)."""

    key_id: str
    fingerprint: str
    target: str
    expires_at: datetime

    def aimed_at(self, target: str) -> KeyedRequest:
        return replace(self, target=target)

    def answered(self, status_code: int, body: str) -> KeptAnswer:
        return KeptAnswer(self.key_id, self.fingerprint, status_code, body, self.expires_at)


class Answer(Generic[T]):
    """How a route answers a use case's result; for a keyed request also the answer it keeps,
    which the use case stores with its change (``kept``) and a retry gets back verbatim."""

    def __init__(
        self, keyed: KeyedRequest | None, status_code: int, render: Callable[[T], BaseModel]
    ) -> None:
        self.keyed = keyed
        self.status_code = status_code
        self.render = render

    def kept(self, result: T) -> KeptAnswer | None:
        if self.keyed is None:
            return None
        return self.keyed.answered(self.status_code, self.render(result).model_dump_json())
