"""Interaction volume per UTC day and channel: the walking skeleton's read model."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.projection import Document, Lookup
from rapport_schemas.contacts import InteractionLogged


def volume_key(day: str, channel: str) -> str:
    return f"{day}|{channel}"


class InteractionVolume:
    collection = "interaction_volume"

    def keys(self, received: ReceivedEvent) -> Sequence[str]:
        data = received.data
        if not isinstance(data, InteractionLogged):
            return ()
        return (volume_key(data.occurred_at.date().isoformat(), data.channel.value),)

    def evolve(
        self, state: Document | None, received: ReceivedEvent, key: str, lookup: Lookup
    ) -> Document:
        data = received.data
        assert isinstance(data, InteractionLogged)
        current = state or {
            "day": key.split("|", maxsplit=1)[0],
            "channel": data.channel.value,
            "inbound": 0,
            "outbound": 0,
        }
        return {**current, data.direction.value: current[data.direction.value] + 1}
