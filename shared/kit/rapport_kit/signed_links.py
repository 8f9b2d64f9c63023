"""Links that carry their own credential: ``purpose``, a subject id and an expiry, HMAC-signed.

Only the services holding the key can make one, so nothing a subscriber reads on a topic (a
survey id, an expiry) lets it answer for a customer. Keys rotate: the first key signs, every key
verifies, so a link signed before a rotation keeps working while the previous key is listed.
The purpose is part of what is signed, so a survey link can never serve as an unsubscribe link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

# Purposes, agreed between the services that make and check each kind of link.
SURVEY_ANSWER = "survey-answer"  # notifications signs the invitation's link, feedback checks it
# Notifications signs these in every non-transactional message, contacts checks them.
PREFERENCES = "preferences"  # subject: the contact id
UNSUBSCRIBE = "unsubscribe"  # subject: contact id and purpose (``ct_1.surveys``)
INBOX = "inbox"  # a contact's in-app inbox token; notifications issues and checks it

MAC_BYTES = 16  # 128-bit tag (NIST SP 800-107 §5.3.3: truncation to ≥ 64 bits is allowed)
_SEPARATOR = "|"


class InvalidLink(ValueError):
    """Not a link any current key signed for this purpose (forged, altered or garbled)."""


class ExpiredLink(ValueError):
    """A genuine link whose expiry has passed; its claims say what it was for."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__("the link has expired")
        self.claims = claims


@dataclass(frozen=True)
class LinkClaims:
    purpose: str
    subject: str
    expires_at: datetime


def sign_link(claims: LinkClaims, key: bytes) -> str:
    message = _message(claims)
    tag = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return f"{_b64(message)}.{_b64(tag)}"


def verify_link(token: str, *, purpose: str, keys: Sequence[bytes], now: datetime) -> LinkClaims:
    """The claims of a link signed by one of ``keys`` for ``purpose``; raises otherwise."""
    message, tag = _split(token)
    if not any(_matches(message, tag, key) for key in keys):
        raise InvalidLink("the link's signature does not match")
    claims = _claims(message)
    if claims.purpose != purpose:
        raise InvalidLink("the link was made for another purpose")
    if now >= claims.expires_at:
        raise ExpiredLink(claims)
    return claims


def _message(claims: LinkClaims) -> bytes:
    for part in (claims.purpose, claims.subject):
        if not part or _SEPARATOR in part:
            raise ValueError(f"link claims cannot contain {_SEPARATOR!r} or be empty")
    expiry = int(claims.expires_at.timestamp())
    return _SEPARATOR.join((claims.purpose, claims.subject, str(expiry))).encode()


def _matches(message: bytes, tag: bytes, key: bytes) -> bool:
    expected = hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]
    return hmac.compare_digest(expected, tag)


def _split(token: str) -> tuple[bytes, bytes]:
    encoded_message, dot, encoded_tag = token.partition(".")
    if not dot:
        raise InvalidLink("the link is not of the form message.signature")
    try:
        return _unb64(encoded_message), _unb64(encoded_tag)
    except ValueError:
        raise InvalidLink("the link is not valid base64url") from None


def _claims(message: bytes) -> LinkClaims:
    purpose, subject, expiry = message.decode().split(_SEPARATOR)
    return LinkClaims(purpose, subject, datetime.fromtimestamp(int(expiry), tz=UTC))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
