"""Wake-ups: when documents of a collection next need a look, as this process's own writes left
them, so a periodic round reads only those documents, by ``_id``, instead of scanning for them.

FerretDB answers a filter on any field but ``_id`` by reading every document, so a due-delivery or
SLA scan every second made an idle store's cost grow with its data. A wake-up is a hint, never the
truth: the round acts through a conditional write on ``_id`` (a claim, a versioned save) that does
nothing when the hint is stale, so a stale or repeated hint costs a lookup and has no effect, and
the guarantees stay those of that write (a claim taken once across replicas, a breach marked
once). Each writer notes the state it wrote; a peer's later write is noted by that peer. What no
live process holds a hint for (a process that crashed, documents written before a start) the full
scan finds: at start and every ``full_interval``, the bound on their delay and on what is left of
the idle cost that grows with the data (one scan a minute instead of one a second).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FULL_SCAN_INTERVAL = timedelta(minutes=1)


@dataclass
class Wakeups:
    """One hint per document id (the latest this process wrote: a later note replaces it),
    each with a value the round needs before it reads the document (e.g. its contact)."""

    full_interval: timedelta = FULL_SCAN_INTERVAL
    monotonic: Callable[[], float] = time.monotonic
    # Monotonic time of the next full scan; None until the first one (at start).
    next_full: float | None = None
    # id -> (when, value, the note's number: which notes a scan under way cannot have seen).
    _at: dict[str, tuple[datetime, str, int]] = field(default_factory=dict)
    # (when, id); an entry whose time no longer matches ``_at`` was replaced and is skipped.
    _heap: list[tuple[datetime, str]] = field(default_factory=list)
    _notes: int = 0

    def note(self, key: str, when: datetime, value: str = "") -> None:
        self._notes += 1
        self._at[key] = (when, value, self._notes)
        heapq.heappush(self._heap, (when, key))

    def forget(self, key: str) -> None:
        self._at.pop(key, None)

    def due(self, now: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(id, value) of up to ``limit`` hints due by ``now``, earliest first. They stay until
        the round's write notes the document's next time or the round ``forget``s a stale one,
        so a round that failed half-way is repeated for the rest."""
        taken: list[tuple[str, str]] = []
        seen: set[str] = set()
        while self._heap and len(taken) < limit and self._heap[0][0] <= now:
            when, key = heapq.heappop(self._heap)
            noted = self._at.get(key)
            if noted is not None and noted[0] == when and key not in seen:
                seen.add(key)
                taken.append((key, noted[1]))
        for key, _ in taken:
            heapq.heappush(self._heap, (self._at[key][0], key))
        return taken

    def noted(self, key: str) -> datetime | None:
        hint = self._at.get(key)
        return hint[0] if hint is not None else None

    def full_scan_due(self) -> bool:
        """True once per ``full_interval`` (and at the first call): time to scan and ``reset``."""
        now = self.monotonic()
        if self.next_full is not None and now < self.next_full:
            return False
        self.next_full = now + self.full_interval.total_seconds()
        return True

    def mark(self) -> int:
        """Taken before a full scan's read, given to ``reset`` after it."""
        return self._notes

    def reset(self, hints: Iterable[tuple[str, datetime, str]], *, mark: int) -> None:
        """Every hint replaced by what a full scan started at ``mark`` found, (id, when, value),
        except those noted since: a write during the scan knows better than the scan's read."""
        since = {key: hint for key, hint in self._at.items() if hint[2] > mark}
        self._at = {key: (when, value, mark) for key, when, value in hints} | since
        self._heap = [(when, key) for key, (when, _, _) in self._at.items()]
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._at)
