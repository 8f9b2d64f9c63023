"""The customer's own changes, from a signed link: the preference center and the RFC 8058
one-click unsubscribe. The link is the only credential; it names the contact (and, for an
unsubscribe, the purpose), and contacts checks the signature notifications made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport_contacts.domain import preferences
from rapport_contacts.domain.model import Contact
from rapport_contacts.domain.preferences import Preferences
from rapport_contacts.service_layer.unit import (
    Decision,
    Ports,
    change,
    envelope,
    load,
    publications,
)
from rapport_kit.signed_links import (
    PREFERENCES,
    UNSUBSCRIBE,
    ExpiredLink,
    InvalidLink,
    LinkClaims,
    sign_link,
    verify_link,
)
from rapport_schemas.common import Channel, Purpose
from rapport_schemas.contacts import Actor, ActorKind

__all__ = ["ExpiredLink", "InvalidLink", "PreferenceCenter"]
# A page opened from an unsubscribe link links to the preference center for this long.
PAGE_LINK_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class PreferenceCenter:
    ports: Ports
    keys: Sequence[bytes]

    async def open(self, token: str) -> Contact:
        """The contact the preference link names (its survivor after a merge)."""
        return await self._contact(self._claims(token, PREFERENCES).subject)

    async def save(self, token: str, chosen: Preferences) -> Contact:
        contact = await self.open(token)

        def decide(current: Contact) -> Decision:
            now = self.ports.clock()
            changed, events = preferences.choose(current, chosen, now=now)
            actor = _customer(current)
            return changed, publications(
                self.ports, events, now, profile=changed.profile, actor=actor
            )

        return await change(self.ports, contact.contact_id, decide)

    async def unsubscribing(self, token: str) -> tuple[Contact, Purpose]:
        """What an unsubscribe link is for; changes nothing (a GET, a mail scanner)."""
        contact_id, purpose = _unsubscribe_subject(self._claims(token, UNSUBSCRIBE).subject)
        return await self._contact(contact_id), purpose

    async def unsubscribe(self, token: str) -> tuple[Contact, Purpose]:
        """Withdraw the link's purpose on e-mail, at once; repeating it changes nothing."""
        contact, purpose = await self.unsubscribing(token)

        def decide(current: Contact) -> Decision:
            now = self.ports.clock()
            changed, events = preferences.unsubscribe(current, Channel.EMAIL, purpose, now=now)
            return changed, [envelope(event, now, actor=_customer(current)) for event in events]

        return await change(self.ports, contact.contact_id, decide), purpose

    def preferences_link_token(self, contact_id: str) -> str:
        """A short-lived preference link for a page that only had an unsubscribe link."""
        expires_at: datetime = self.ports.clock() + PAGE_LINK_LIFETIME
        return sign_link(LinkClaims(PREFERENCES, contact_id, expires_at), self.keys[0])

    def _claims(self, token: str, purpose: str) -> LinkClaims:
        return verify_link(token, purpose=purpose, keys=self.keys, now=self.ports.clock())

    async def _contact(self, contact_id: str) -> Contact:
        contact = await load(self.ports, contact_id)
        if contact.merged_into is not None:
            return await load(self.ports, contact.merged_into)
        return contact


def _customer(contact: Contact) -> Actor:
    """The customer made the change themselves, from a link only they received."""
    return Actor(kind=ActorKind.CONTACT, id=contact.contact_id)


def _unsubscribe_subject(subject: str) -> tuple[str, Purpose]:
    contact_id, _, purpose = subject.rpartition(".")
    try:
        return contact_id, Purpose(purpose)
    except ValueError:
        raise InvalidLink("the link names no purpose") from None
