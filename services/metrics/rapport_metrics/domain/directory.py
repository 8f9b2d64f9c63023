"""A batch's snapshot of the contact directory: merges resolved, segments allowed.

Events are segmented by the directory as it stands when their batch is applied; a contact's
counts move when its segments change later (``tally``, ``resegment``). The directory itself is
folded by ``views.directory``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rapport_metrics.domain.documents import DirectoryEntry
from rapport_metrics.domain.segments import allowed
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES

Segment = tuple[str, str]
ALL: Segment = ("all", "all")
MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class Directory:
    """A batch's snapshot of the directory entries it needs."""

    entries: Mapping[str, DirectoryEntry]
    vocabularies: Mapping[str, frozenset[str]] = field(default_factory=lambda: DEFAULT_VOCABULARIES)

    def resolve(self, contact_id: str) -> str:
        """The surviving contact after any chain of merges."""
        for _ in range(MAX_MERGE_HOPS):
            survivor = self.entries.get(contact_id, {}).get("merged_into")
            if survivor is None:
                break
            contact_id = survivor
        return contact_id

    def entry(self, contact_id: str) -> DirectoryEntry:
        return DirectoryEntry(**self.entries.get(contact_id, {}))

    def erased(self, contact_id: str) -> bool:
        return bool(self.entry(contact_id).get("erased"))

    def segments(
        self, contact_id: str, *, channel: str | None = None, agent: str | None = None
    ) -> tuple[Segment, ...]:
        """``all`` plus every segment the contact (or the event's channel/agent) falls in; a value
        outside its kind's pattern or vocabulary is no segment (see ``segments``)."""
        entry = self.entry(contact_id)
        values = {
            "country": entry.get("country"),
            "region": entry.get("region"),
            "language": entry.get("language"),
            "industry": entry.get("industry"),
            "channel": channel or entry.get("channel"),
            "agent": agent or entry.get("agent"),
        }
        return (
            ALL,
            *(
                (kind, str(value))
                for kind, value in values.items()
                if value and allowed(kind, str(value), self.vocabularies)
            ),
        )
