"""The in-app inbox as the customer's own client uses it: list, count unread, mark read/unread
and archive, authenticated by the contact's inbox token — never the operator's API key.

The token is a signed link claim (purpose ``inbox``, subject the contact id, an expiry) made with
``LINK_SIGNING_KEYS``; the operator's backend obtains one for a signed-in customer
(``POST /contacts/{id}/inbox-token``) and hands it to the app. It opens that contact's inbox only,
nothing is stored for it, and rotating the keys (dropping the old one) revokes every token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rapport_kit.signed_links import INBOX, ExpiredLink, InvalidLink, LinkClaims, sign_link
from rapport_kit.signed_links import verify_link as verify
from rapport_notifications.service_layer.ports import Clock, Inbox

__all__ = ["CustomerInbox", "ExpiredLink", "InvalidLink", "UnknownMessage"]


class UnknownMessage(LookupError):
    """The contact has no message with this id (or it is another contact's)."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class CustomerInbox:
    store: Inbox
    keys: Sequence[bytes]
    lifetime: timedelta
    clock: Clock

    def issue(self, contact_id: str) -> IssuedToken:
        expires_at = self.clock() + self.lifetime
        token = sign_link(LinkClaims(INBOX, contact_id, expires_at), self.keys[0])
        return IssuedToken(token, expires_at)

    def contact_of(self, token: str) -> str:
        """The contact the token opens; raises ``InvalidLink`` / ``ExpiredLink``."""
        return verify(token, purpose=INBOX, keys=self.keys, now=self.clock()).subject

    async def messages(self, contact_id: str, *, archived: bool) -> list[dict[str, Any]]:
        return await self.store.messages(contact_id, archived=archived)

    async def unread(self, contact_id: str) -> int:
        return await self.store.unread_count(contact_id)

    async def mark(
        self, contact_id: str, notification_id: str, *, read: bool | None, archived: bool | None
    ) -> dict[str, Any]:
        now = self.clock()
        changes: dict[str, Any] = {}
        if read is not None:
            changes |= {"read": read, "read_at": now if read else None}
        if archived is not None:
            changes |= {"archived": archived, "archived_at": now if archived else None}
        marked = await self.store.mark(contact_id, notification_id, changes)
        if marked is None:
            raise UnknownMessage(notification_id)
        return marked
