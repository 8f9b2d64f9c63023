"""What makes two contacts the same person (exact keys) or probably the same (likely keys).

Keys are SHA-256 digests of the normalized values: the uniqueness index and the likely-duplicate
lookup then hold no readable personal data (they are still deleted on erasure).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from rapport_contacts.domain import validation
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
    """E-mail (lower-cased), E.164 phone and each external id identify one contact."""
    keys = []
    if profile.email:
        keys.append(email_key(profile.email))
    if profile.phone:
        keys.append(phone_key(profile.phone))
    keys.extend(external_key(given.source, given.id) for given in profile.external_ids)
    return keys


def email_key(email: str) -> UniqueKey:
    return UniqueKey("email", _digest("email", normalized_email(email)))


def phone_key(e164: str) -> UniqueKey:
    return UniqueKey("phone", _digest("phone", e164))


def external_key(source: str, external_id: str) -> UniqueKey:
    """Named by its source in a refusal (``external_ids[zendesk]``), never by the id itself."""
    return UniqueKey(f"external_ids[{source}]", _digest("external", f"{source}\n{external_id}"))


LOOKUPS = ("email", "phone", "external_id")


def lookup_key(field: str, value: str, *, country: str | None = None) -> UniqueKey:
    """The key a look-up by ``field`` reads, normalized as registration normalizes it (e-mail
    syntax and case, phone to E.164 in ``country``, external id ``source:id``); raises
    ``ValueError`` naming what is wrong."""
    value = value.strip()  # pasted into a query string
    if field == "email":
        return email_key(validation.email_address(value))
    if field == "phone":
        return phone_key(validation.phone_number(value, country=country))
    source, separator, given = value.partition(":")
    if not separator:
        raise ValueError("an external id is source:id, e.g. zendesk:123")
    return external_key(validation.external_source(source), validation.external_id(given))


def likely_duplicate_key(profile: ContactProfile) -> str | None:
    """Same normalized name at the same company: probably one person entered twice."""
    if not profile.company:
        return None
    return _digest(
        "name_company", f"{normalized_name(profile.name)}|{normalized_name(profile.company)}"
    )
