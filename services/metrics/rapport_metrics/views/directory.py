"""The contact directory: segment attributes only (never names, e-mails or phones), and the
tombstone an erasure leaves in every per-contact read model."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.contacts import (
    ContactErased,
    ContactFacts,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
)

DIRECTORY = "directory"


def segment_fields(profile: ContactFacts) -> Document:
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

    collection = DIRECTORY

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


SEGMENT_FACTS = ("country", "region", "language", "industry", "channel", "agent", "currency")


class Erasure:
    """``ContactErased`` leaves a tombstone: nothing tied to the person stays in ``collection``.

    The directory's tombstone keeps the segment facts (bounded vocabularies, no name, address or
    free text; ``SEGMENT_FACTS``) and the merge link: an erased contact's events still read after
    the erasure (a rebuild folds the three topics interleaved, a late survey answer) count in the
    segments they counted in before it, so no KPI depends on the order the topics are read in.
    """

    def __init__(self, collection: str, *, keep: tuple[str, ...] = ()) -> None:
        self.collection = collection
        self.keep = keep

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        return (data.contact_id,) if isinstance(data, ContactErased) else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        kept = {name: value for name, value in (state or {}).items() if name in self.keep}
        return {**kept, "erased": True}
