"""A deterministic stream of contact events: registrations, then interactions, in four countries.

Registrations are v1 (the profile on the event) as contacts still produces them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from rapport_schemas import wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegisteredV1,
    Direction,
    InteractionKind,
    InteractionLogged,
)

COUNTRIES = [
    ("TR", "tr-TR", "Europe/Istanbul", "TRY"),
    ("HU", "hu-HU", "Europe/Budapest", "HUF"),
    ("DE", "de-DE", "Europe/Berlin", "EUR"),
    ("JP", "ja-JP", "Asia/Tokyo", "JPY"),
]
START = datetime(2026, 10, 1, tzinfo=UTC)


def contact_events(
    contacts: int, interactions: int, *, seed: int = 7
) -> Iterator[tuple[bytes, bytes]]:
    """(key, CloudEvent JSON) pairs; every contact registers before its interactions."""
    rng = random.Random(seed)
    for index in range(contacts):
        country, language, zone, currency = COUNTRIES[index % len(COUNTRIES)]
        registered = ContactRegisteredV1(
            contact_id=f"bench{index}",
            profile=ContactProfile(
                name=f"Bench {index}",
                email=f"bench{index}@example.com",
                language=language,
                time_zone=zone,
                country=country,
                currency=currency,
            ),
            consents=(
                Consent(channel=Channel.EMAIL, granted=True, source="bench", changed_at=START),
            ),
            registered_at=START,
        )
        yield registered.contact_id.encode(), _json(registered, index)
    for index in range(interactions):
        contact = f"bench{rng.randrange(contacts)}"
        logged = InteractionLogged(
            interaction_id=f"bi{index}",
            contact_id=contact,
            channel=rng.choice([Channel.EMAIL, Channel.PHONE, Channel.LIVE_CHAT]),
            direction=rng.choice([Direction.INBOUND, Direction.OUTBOUND]),
            kind=rng.choice(
                [InteractionKind.SUPPORT, InteractionKind.INQUIRY, InteractionKind.COMPLAINT]
            ),
            occurred_at=START + timedelta(minutes=rng.randrange(60 * 24 * 30)),
        )
        yield contact.encode(), _json(logged, contacts + index)


def _json(data: ContactRegisteredV1 | InteractionLogged, index: int) -> bytes:
    return wrap(data, source="/bench", event_id=f"bench-{index}").model_dump_json().encode()
