"""The contact directory as this service needs it: reachability, language, calendar, consent.

Folded from ``rapport.contacts.events`` and, for name, e-mail and phone (v2 events carry none),
``ContactPersonalData`` on ``rapport.contacts.personal``; newest facts win so a republished old
event never rolls a profile or a consent back. The two topics arrive in either order: the personal
fields keep their own time (``personal_at``), and a profile's tombstone empties them for good.
Erasure keeps only the tombstone; a merge marks the absorbed card.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.consents import consent_key, deciding
from rapport_schemas.contacts import (
    ContactFacts,
    ContactPersonalData,
    ContactProfile,
    FormOfAddress,
    QuietHours,
)


class ConsentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    granted: bool
    source: str
    changed_at: datetime
    purpose: Purpose | None = None


class ContactCard(BaseModel):
    model_config = ConfigDict(frozen=True)

    contact_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    time_zone: str = "UTC"
    country: str | None = None
    preferred_channel: Channel | None = None
    account_owner: str | None = None
    quiet_hours: QuietHours | None = None
    form_of_address: FormOfAddress | None = None
    industry: str | None = None  # segment attributes campaigns target
    tags: tuple[str, ...] = ()
    profile_at: datetime | None = None
    personal_at: datetime | None = None  # of name, e-mail and phone
    personal_erased: bool = False  # the profile's tombstone was read: nothing personal again
    consents: dict[str, ConsentRecord] = {}
    erased: bool = False
    merged_into: str | None = None

    def personal_known_at(self) -> datetime | None:
        """When name, e-mail and phone were last set (a card folded before ``personal_at`` was
        kept took them with its v1 profile, at ``profile_at``)."""
        if self.personal_at is None and self.name is not None:
            return self.profile_at
        return self.personal_at

    def is_complete(self) -> bool:
        """Both halves of the contact have arrived: the registration (``profile_at``) and its
        name, e-mail and phone (a v2 registration's come on the personal topic, read before or
        after it). Until then a message to the contact waits as for an unknown contact."""
        return self.profile_at is not None and (
            self.personal_at is not None or self.name is not None
        )

    def consent(self, channel: Channel, purpose: Purpose = Purpose.SERVICE) -> Consent | None:
        """The granted consent that decides for ``purpose`` on ``channel`` (the proof events
        carry), else None."""
        known = [
            Consent(
                channel=channel,
                granted=record.granted,
                source=record.source,
                changed_at=record.changed_at,
                purpose=record.purpose,
            )
            for key, record in self.consents.items()
            if key.split(":", maxsplit=1)[0] == channel.value
        ]
        found = deciding(known, channel, purpose)
        return found if found is not None and found.granted else None


def with_profile(card: ContactCard, profile: ContactFacts, at: datetime) -> ContactCard:
    """A v2 event's profile holds facts only: name, e-mail and phone are kept as they are (they
    come from the personal topic); a v1 event's (``ContactProfile``) replaces them too."""
    if isinstance(profile, ContactProfile):
        card = _with_personal(card, profile.name, profile.email, profile.phone, at)
    if card.erased or (card.profile_at is not None and at < card.profile_at):
        return card
    return card.model_copy(
        update={
            "language": profile.language,
            "time_zone": profile.time_zone,
            "country": profile.country,
            "preferred_channel": profile.preferred_channel,
            "account_owner": profile.account_owner,
            "quiet_hours": profile.quiet_hours,
            "form_of_address": profile.form_of_address,
            "industry": profile.segment.industry,
            "tags": profile.segment.tags,
            "profile_at": at,
        }
    )


def with_personal_data(card: ContactCard, data: ContactPersonalData) -> ContactCard:
    """Name, e-mail and phone from the personal topic, unless a newer value is known."""
    return _with_personal(card, data.name, data.email, data.phone, data.recorded_at)


def without_personal_data(card: ContactCard) -> ContactCard:
    """The profile's tombstone: name, e-mail and phone are gone, and stay gone (it is written
    only by an erasure, whose ``ContactErased`` may come before or after it)."""
    erased = {"name": None, "email": None, "phone": None, "personal_at": None}
    return card.model_copy(update={**erased, "personal_erased": True})


def _with_personal(
    card: ContactCard, name: str, email: str | None, phone: str | None, at: datetime
) -> ContactCard:
    if card.erased or card.personal_erased:
        return card
    known_at = card.personal_known_at()
    if known_at is not None and at < known_at:
        return card
    fields = {"name": name, "email": email, "phone": phone, "personal_at": at}
    return card.model_copy(update=fields)


def with_consents(card: ContactCard, consents: tuple[Consent, ...]) -> ContactCard:
    if card.erased:
        return card
    merged = dict(card.consents)
    for consent in consents:
        key = consent_key(consent)
        known = merged.get(key)
        if known is None or consent.changed_at >= known.changed_at:
            merged[key] = ConsentRecord(
                granted=consent.granted,
                source=consent.source,
                changed_at=consent.changed_at,
                purpose=consent.purpose,
            )
    return card.model_copy(update={"consents": merged})


def erased(card: ContactCard) -> ContactCard:
    """Only the tombstone stays: nothing personal, and nothing will be sent again."""
    return ContactCard(contact_id=card.contact_id, erased=True, merged_into=card.merged_into)


def merged_into(card: ContactCard, survivor_id: str) -> ContactCard:
    """The absorbed card keeps its data (a crash between the two writes is repaired)."""
    return card.model_copy(update={"merged_into": survivor_id})
