"""The contact directory as this service needs it: reachability, language, calendar, consent.

Folded from ``rapport.contacts.events``; newest facts win so a republished old event never rolls
a profile or a consent back. Erasure keeps only the tombstone; a merge marks the absorbed card.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.consents import consent_key, deciding
from rapport_schemas.contacts import ContactFacts, ContactProfile, FormOfAddress, QuietHours


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
    consents: dict[str, ConsentRecord] = {}
    erased: bool = False
    merged_into: str | None = None

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
    if card.erased or (card.profile_at is not None and at < card.profile_at):
        return card
    personal = (
        {"name": profile.name, "email": profile.email, "phone": profile.phone}
        if isinstance(profile, ContactProfile)
        else {}
    )
    return card.model_copy(
        update={
            **personal,
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
