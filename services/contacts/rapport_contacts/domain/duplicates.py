"""What makes two contacts the same person (exact keys) or probably the same (likely keys).

Keys are SHA-256 digests of the normalized values: the uniqueness index and the likely-duplicate
lookup then hold no readable personal data (they are still deleted on erasure).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from rapport_schemas.contacts import ContactProfile


@dataclass(frozen=True)
class UniqueKey:
    """A value only one contact may hold, e.g. ``email`` → ``email:<digest>``."""

    field: str
    key: str


def _digest(kind: str, normalized: str) -> str:
    return f"{kind}:{hashlib.sha256(normalized.encode()).hexdigest()}"


def normalized_email(email: str) -> str:
    """Mailbox names are case-insensitive in practice; providers treat them so."""
    return email.strip().lower()


def normalized_name(text: str) -> str:
    """Case, accents and spacing do not tell people apart (``Ayşe  YILMAZ`` = ``ayse yilmaz``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_marks.replace("ı", "i").split())


def unique_keys(profile: ContactProfile) -> list[UniqueKey]:
    """E-mail (lower-cased) and E.164 phone each identify one contact."""
    keys = []
    if profile.email:
        keys.append(UniqueKey("email", _digest("email", normalized_email(profile.email))))
    if profile.phone:
        keys.append(UniqueKey("phone", _digest("phone", profile.phone)))
    return keys


def likely_duplicate_key(profile: ContactProfile) -> str | None:
    """Same normalized name at the same company: probably one person entered twice."""
    if not profile.company:
        return None
    return _digest(
        "name_company", f"{normalized_name(profile.name)}|{normalized_name(profile.company)}"
    )
