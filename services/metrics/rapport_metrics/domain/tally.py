"""Late and changed segment facts move a contact's event-level counts (interactions, cases, SLA,
survey answers, purchases, notifications…) to the segments the contact is in now.

Each contact's tally sums what its events added, by family, period and the event's own channel
and agent (which a contact's segments do not decide), with the segments it stands in. When an
event reaches the tally and the directory says otherwise — the registration arrived after some of
the contact's events, or an update changed its industry or country — the tally so far is kept
under that event's id (a move) and the counters take it out of the old segments and put it into
the new ones, as ``resegment`` does for distinct contacts. So the counts are a function of the
facts, not of the order they arrived in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rapport_kit.projection import Document
from rapport_metrics.domain.context import Contribution, Increment
from rapport_metrics.domain.resegment import MOVES_KEPT
from rapport_metrics.domain.segments import allowed
from rapport_metrics.domain.windows import parse_period, period_key

TallyKey = tuple[str, str, str | None, str | None]  # family, period, channel, agent


def add(counters: Mapping[str, Any], increments: Mapping[str, Any]) -> dict[str, object]:
    """Sums; money is kept as a Decimal string so no binary rounding creeps in."""
    total = dict(counters)
    for name, amount in increments.items():
        if isinstance(amount, Decimal | str):
            total[name] = str(Decimal(str(total.get(name, "0"))) + Decimal(amount))
        else:
            total[name] = total.get(name, 0) + amount
    return total


def tallied(
    current: Document, segments: dict[str, str], event_id: str, own: Sequence[Contribution]
) -> Document:
    """The tally with ``own`` added, after a move credited to ``event_id`` if segments changed."""
    updated = {**current, "segments": segments}
    counted_in = current.get("segments")
    if counted_in is not None and counted_in != segments and current.get("tally"):
        move = {"from": counted_in, "to": segments, "tally": current["tally"]}
        kept = list(current.get("moves", {}).items())[-(MOVES_KEPT - 1) :]
        updated["moves"] = dict([*kept, (event_id, move)])
    entries: dict[TallyKey, dict[str, object]] = {
        (e["family"], e["period"], e["channel"], e["agent"]): e["counters"]
        for e in current.get("tally", [])
    }
    for contribution in own:
        assert contribution.owner is not None
        _, channel, agent = contribution.owner
        for size, start in contribution.points:
            key = (contribution.family, period_key(size, start), channel, agent)
            entries[key] = add(entries.get(key, {}), contribution.increments)
    # A list of documents: FerretDB 1.24 stores no nested arrays, and agents may hold a dot.
    updated["tally"] = [
        {"family": f, "period": p, "channel": c, "agent": a, "counters": counters}
        for (f, p, c, a), counters in entries.items()
    ]
    return updated


def moved(
    tally: Document, event_id: str, vocabularies: Mapping[str, frozenset[str]]
) -> list[Contribution]:
    """What ``event_id`` moved: each tally entry out of the segments it left, into those entered."""
    move = tally.get("moves", {}).get(event_id)
    if move is None:
        return []
    found = []
    for entry in move["tally"]:
        old = _segments(move["from"], entry, vocabularies)
        new = _segments(move["to"], entry, vocabularies)
        point = (parse_period(entry["period"]),)
        counters = {name: _number(value) for name, value in entry["counters"].items()}
        negated = {name: -value for name, value in counters.items()}
        found += [
            Contribution(entry["family"], point, tuple(sorted(old - new)), negated),
            Contribution(entry["family"], point, tuple(sorted(new - old)), counters),
        ]
    return found


def _segments(
    contact: dict[str, str], entry: Document, vocabularies: Mapping[str, frozenset[str]]
) -> set[tuple[str, str]]:
    """The contact's segments with the event's channel and agent, as ``Directory.segments``."""
    segments = dict(contact)
    for kind in ("channel", "agent"):
        value = entry[kind]
        if value:
            segments.pop(kind, None)
            if allowed(kind, value, vocabularies):
                segments[kind] = value
    return set(segments.items())


def _number(value: object) -> Increment:
    return value if isinstance(value, int | float) else Decimal(str(value))
