"""Who is calling: a stable, non-secret identity of the API key a request presented.

Rapport's API keys are bearer secrets without a name, so the identity is a digest of the key:
the same key always gives the same id (idempotency keys are scoped by it, events name it as their
actor) and the id gives nothing away (keys are random; production refuses the development key).
It never contains personal data.
"""

from __future__ import annotations

import functools
import hashlib

from fastapi import Request

PREFIX = "apikey-"
ANONYMOUS = "anonymous"


@functools.lru_cache(maxsize=256)
def key_identity(api_key: str) -> str:
    return PREFIX + hashlib.sha256(f"rapport api key\n{api_key}".encode()).hexdigest()[:16]


def caller_id(request: Request) -> str:
    """The identity of the bearer API key (checked already by ``require_scope``)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return ANONYMOUS
    return key_identity(credentials.strip())
