"""Survey answer tokens: unguessable, and stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """256 bits from the OS CSPRNG, URL-safe: the answer link's only credential."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What MongoDB keeps: a leaked database does not leak answerable links."""
    return hashlib.sha256(token.encode()).hexdigest()
