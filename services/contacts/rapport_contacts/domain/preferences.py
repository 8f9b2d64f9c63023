"""What a customer may change about themselves from a signed link: consent per channel and
purpose, preferred channel, language and their own quiet hours; every change is published with
where it was made (``source``) and when.

Pure: the contact and the customer's choices in, the changed contact and its events out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapport_contacts.domain import model
from rapport_contacts.domain.model import Contact
from rapport_schemas import EventData
from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.consents import granted
from rapport_schemas.contacts import ContactUpdated, QuietHours

PREFERENCE_CENTER = "preference-center"
ONE_CLICK_UNSUBSCRIBE = "one-click-unsubscribe"
# The channels notifications can reach a customer on; the others (phone, in person…) are the
# agents' to use and carry no message a customer could opt out of here.
MESSAGE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.IN_APP)
PURPOSES = (Purpose.SERVICE, Purpose.SURVEYS, Purpose.MARKETING)


@dataclass(frozen=True)
class Preferences:
    consented: frozenset[tuple[Channel, Purpose]]
    preferred_channel: Channel
    language: str
    quiet_hours: QuietHours | None


def current(contact: Contact) -> Preferences:
    consented = frozenset(
        (channel, purpose)
        for channel in MESSAGE_CHANNELS
        for purpose in PURPOSES
        if granted(contact.consents, channel, purpose)
    )
    profile = contact.profile
    return Preferences(consented, profile.preferred_channel, profile.language, profile.quiet_hours)


def choose(
    contact: Contact, chosen: Preferences, *, now: datetime
) -> tuple[Contact, list[EventData]]:
    """Apply what the customer chose; only what differs from now is changed and published."""
    before = current(contact)
    events: list[EventData] = []
    for channel in MESSAGE_CHANNELS:
        for purpose in PURPOSES:
            wanted = (channel, purpose) in chosen.consented
            if wanted != ((channel, purpose) in before.consented):
                consent = _consent(channel, purpose, wanted, PREFERENCE_CENTER, now)
                contact, changed = model.change_consent(contact, consent)
                events.append(changed)
    profile = contact.profile.model_copy(
        update={
            "preferred_channel": chosen.preferred_channel,
            "language": chosen.language,
            "quiet_hours": chosen.quiet_hours,
        }
    )
    contact, updates = model.update_profile(contact, profile, now=now)
    events.extend(
        u.model_copy(update={"source": PREFERENCE_CENTER}) if isinstance(u, ContactUpdated) else u
        for u in updates
    )
    return contact, events


def unsubscribe(
    contact: Contact, channel: Channel, purpose: Purpose, *, now: datetime
) -> tuple[Contact, list[EventData]]:
    """Withdraw one purpose on one channel at once (RFC 8058); nothing if already withdrawn."""
    if not granted(contact.consents, channel, purpose):
        return contact, []
    consent = _consent(channel, purpose, False, ONE_CLICK_UNSUBSCRIBE, now)
    changed, event = model.change_consent(contact, consent)
    return changed, [event]


def _consent(
    channel: Channel, purpose: Purpose, wanted: bool, source: str, now: datetime
) -> Consent:
    return Consent(channel=channel, granted=wanted, source=source, changed_at=now, purpose=purpose)
