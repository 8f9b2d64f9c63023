"""Late and changed segment facts move a contact's distinct-contact counts (active, retained,
buyers, first purchase) to the segments the contact is in now.

The per-contact document records the segments its counts stand in (``segments``). Whenever an
event reaches the document and the directory says otherwise — the registration arrived after the
contact's first events, or an update changed its country, region, industry… — the document keeps
what it had counted so far under that event's id (a move), and the counters take it out of the old
segments and put it into the new ones. A cohort and its returns are therefore always counted in the
same segments, so retention cannot leave 0–100 % when a contact's segment changes.
"""

from __future__ import annotations

from rapport_kit.projection import Document
from rapport_metrics.domain.directory import Segment
from rapport_metrics.domain.documents import CustomerDocument

COUNTED = ("active", "retained", "bought", "first_purchase_at")
MOVES_KEPT = 4  # a redelivered batch needs its own moves again; older ones never


def segment_map(segments: tuple[Segment, ...]) -> dict[str, str]:
    """Stored as a mapping (one value per kind): FerretDB 1.24 does not store nested arrays."""
    return dict(segments)


def resegmented(current: Document, segments: dict[str, str], event_id: str) -> Document:
    counted_in = current.get("segments")
    if counted_in == segments:
        return current
    updated = {**current, "segments": segments}
    counted = {name: current[name] for name in COUNTED if current.get(name)}
    if counted_in is not None and counted:
        move = {"from": counted_in, "to": segments, "counted": counted}
        kept = list(current.get("moves", {}).items())[-(MOVES_KEPT - 1) :]
        updated["moves"] = dict([*kept, (event_id, move)])
    return updated


def counted_in(doc: CustomerDocument) -> tuple[Segment, ...]:
    return tuple(doc.get("segments", {}).items())


def move_of(
    doc: CustomerDocument, event_id: str
) -> tuple[CustomerDocument, tuple[Segment, ...], tuple[Segment, ...]]:
    """What ``event_id`` moved: the counted state, the segments it left and those it entered."""
    move = doc.get("moves", {}).get(event_id)
    if move is None:
        return {}, (), ()
    old, new = set(move["from"].items()), set(move["to"].items())
    return move["counted"], tuple(sorted(old - new)), tuple(sorted(new - old))
