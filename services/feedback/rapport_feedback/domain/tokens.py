"""Survey answer links: signed by the services that send them, so no topic carries a credential.

The link names the survey and its expiry, signed with a key only feedback and notifications
hold (``rapport_kit.signed_links``); feedback checks the signature, then the survey's own record
(used, withdrawn, expired) — the record stays the authority, the signature only proves the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rapport_kit.signed_links import (
    SURVEY_ANSWER,
    ExpiredLink,
    LinkClaims,
    sign_link,
    verify_link,
)


def survey_link_token(survey_id: str, expires_at: datetime, key: bytes) -> str:
    return sign_link(LinkClaims(SURVEY_ANSWER, survey_id, expires_at), key)


def survey_link_claims(token: str, *, keys: Sequence[bytes], now: datetime) -> LinkClaims:
    """What a genuine link names, expired or not; raises ``InvalidLink`` for anything else."""
    try:
        return verify_link(token, purpose=SURVEY_ANSWER, keys=keys, now=now)
    except ExpiredLink as expired:
        return expired.claims
