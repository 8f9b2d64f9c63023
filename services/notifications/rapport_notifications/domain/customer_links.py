"""The links every non-transactional message carries: the preference center and the RFC 8058
one-click unsubscribe (HTTPS and mailto), signed for the recipient at sending time.

Contacts hosts both pages (it is the system of record for consent) and checks the signatures
with the same ``LINK_SIGNING_KEYS``; nothing here is stored or published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from rapport_schemas.common import Purpose

# (subject, expiry) → token, one signer per link purpose (the kit's signed_links).
Signer = Callable[[str, datetime], str]


@dataclass(frozen=True)
class CustomerLinks:
    preferences: str
    one_click: str  # GET shows a confirmation, POST ``List-Unsubscribe=One-Click`` withdraws
    mailto: str


@dataclass(frozen=True)
class LinkMaker:
    base_url: str  # the contacts service as customers reach it
    mailbox: str  # where the mailto unsubscribe goes (the operator's mailbox)
    lifetime: timedelta
    sign_preferences: Signer
    sign_unsubscribe: Signer

    def links(self, contact_id: str, purpose: Purpose, now: datetime) -> CustomerLinks:
        expires_at = now + self.lifetime
        preferences = self.sign_preferences(contact_id, expires_at)
        unsubscribe = self.sign_unsubscribe(unsubscribe_subject(contact_id, purpose), expires_at)
        base = self.base_url.rstrip("/")
        subject = urlencode({"subject": f"unsubscribe {unsubscribe}"}, quote_via=quote)
        return CustomerLinks(
            preferences=f"{base}/preferences?{urlencode({'token': preferences})}",
            one_click=f"{base}/unsubscribe?{urlencode({'token': unsubscribe})}",
            mailto=f"mailto:{self.mailbox}?{subject}",
        )


def unsubscribe_subject(contact_id: str, purpose: Purpose) -> str:
    """Contact ids never contain a dot (``ContactId``), so the purpose follows one."""
    return f"{contact_id}.{purpose.value}"
