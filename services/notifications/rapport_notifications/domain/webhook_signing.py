"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec v1).

A delivery carries ``webhook-id``, ``webhook-timestamp`` (integer Unix seconds) and
``webhook-signature``: ``v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>``. The secret is
written ``whsec_<base64 key>``; the key is the decoded part, 24 to 64 bytes as the spec advises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 — the spec's prefix, not a secret
GENERATED_KEY_BYTES = 32
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


class InvalidSecret(ValueError):
    """A supplied secret that is not ``whsec_`` + base64 of 24-64 bytes."""


def generate_secret() -> str:
    """A fresh random secret in the spec's ``whsec_`` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(GENERATED_KEY_BYTES)).decode()


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; ``InvalidSecret`` says what is wrong with it."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("the part after whsec_ must be base64") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise InvalidSecret(f"the key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value of one delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header of a signed delivery: the three of the spec and the CloudEvents media type.
    Several secrets (a rotation under way) give space-separated signatures, one per secret, so
    a receiver still holding the old secret verifies too."""
    signatures = " ".join(signature(secret, message_id, timestamp, body) for secret in secrets)
    return {
        "content-type": "application/cloudevents+json; charset=utf-8",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
