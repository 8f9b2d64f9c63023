"""The contact directory: segment attributes only (never names, e-mails or phones).

Events are segmented by the directory as it stands when their batch is applied; the test dataset
registers contacts first, so every later event finds its contact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_metrics.domain.segments import allowed
from rapport_schemas.contacts import (
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
)
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES

Segment = tuple[str, str]
ALL: Segment = ("all", "all")
MAX_MERGE_HOPS = 10


def segment_fields(profile: ContactProfile) -> Document:
    return {
        "country": profile.country,
        "region": profile.segment.region,
        "language": profile.language,
        "industry": profile.segment.industry,
        "channel": profile.preferred_channel.value,
        "agent": profile.account_owner,
        "currency": profile.currency,
    }


class ContactDirectory:
    """Registration, updates and merges; erasure is applied last in a batch (``Erasure``)."""

    collection = "directory"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, ContactRegistered | ContactUpdated | ContactsMerged):
            return (data.contact_id,)
        return ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data, current = received.data, state or {}
        if isinstance(data, ContactRegistered):
            fields = segment_fields(data.profile)
            return {
                **current,
                **fields,
                "registered_at": data.registered_at.isoformat(),
                "referred": data.referred_by is not None,
            }
        if isinstance(data, ContactUpdated):
            return {**current, **segment_fields(data.profile)}
        assert isinstance(data, ContactsMerged)
        return {**current, "merged_into": data.survivor_id}


class Erasure:
    """``ContactErased`` leaves a tombstone: nothing tied to the person stays in ``collection``."""

    def __init__(self, collection: str) -> None:
        self.collection = collection

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        return (data.contact_id,) if isinstance(data, ContactErased) else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        return {"erased": True}


@dataclass(frozen=True)
class Directory:
    """A batch's snapshot of the directory entries it needs."""

    entries: Mapping[str, Document]
    vocabularies: Mapping[str, frozenset[str]] = field(default_factory=lambda: DEFAULT_VOCABULARIES)

    def resolve(self, contact_id: str) -> str:
        """The surviving contact after any chain of merges."""
        for _ in range(MAX_MERGE_HOPS):
            survivor = self.entries.get(contact_id, {}).get("merged_into")
            if survivor is None:
                break
            contact_id = survivor
        return contact_id

    def entry(self, contact_id: str) -> Document:
        return dict(self.entries.get(contact_id, {}))

    def erased(self, contact_id: str) -> bool:
        return bool(self.entry(contact_id).get("erased"))

    def segments(
        self, contact_id: str, *, channel: str | None = None, agent: str | None = None
    ) -> tuple[Segment, ...]:
        """``all`` plus every segment the contact (or the event's channel/agent) falls in; a value
        outside its kind's pattern or vocabulary is no segment (see ``segments``)."""
        entry = self.entry(contact_id)
        values = {kind: entry.get(kind) for kind in ("country", "region", "language", "industry")}
        values["channel"] = channel or entry.get("channel")
        values["agent"] = agent or entry.get("agent")
        return (
            ALL,
            *(
                (kind, str(value))
                for kind, value in values.items()
                if value and allowed(kind, str(value), self.vocabularies)
            ),
        )
