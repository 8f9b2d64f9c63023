"""Which consent decides for a channel and purpose: the rule every consumer of consents shares.

A consent is given for a whole channel (``purpose`` unset) or for one purpose on it. For a
message of some purpose on some channel, the newer of the channel's and that purpose's consent
decides: withdrawing the whole channel stops every purpose, and a later purpose-level choice (an
unsubscribe, the preference center) overrides an earlier channel-wide consent.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapport_schemas.common import Channel, Consent, Purpose


def deciding(consents: Iterable[Consent], channel: Channel, purpose: Purpose) -> Consent | None:
    """The consent that decides for ``purpose`` on ``channel``; None if none was ever given."""
    relevant = [c for c in consents if c.channel == channel and c.purpose in (None, purpose)]
    # On a tie the purpose-level one wins: it is the more specific choice.
    return max(relevant, key=lambda c: (c.changed_at, c.purpose is not None), default=None)


def granted(consents: Iterable[Consent], channel: Channel, purpose: Purpose) -> bool:
    found = deciding(consents, channel, purpose)
    return found is not None and found.granted


def consent_key(consent: Consent) -> str:
    """Where a consent is kept in a per-channel map: ``email``, or ``email:marketing``."""
    channel = consent.channel.value
    return channel if consent.purpose is None else f"{channel}:{consent.purpose.value}"
