"""Writers of one contact take turns within a process; across replicas the optimistic write decides.

Without turns, 50 concurrent PATCHes of one contact raced on its version and most lost (each loss
re-reads and tries again, and with FerretDB's ~20 ms writes even jittered retries ran out). Within
a process a per-contact lock makes them queue instead; between replicas the conditional write still
detects a race, and ``after_conflict`` spreads the retries.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

FIRST_PAUSE_SECONDS = 0.005


class ContactLocks:
    """One ``asyncio.Lock`` per contact being written, dropped when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: Counter[str] = Counter()

    @asynccontextmanager
    async def turn(self, contact_id: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(contact_id, asyncio.Lock())
        self._users[contact_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[contact_id] -= 1
            if not self._users[contact_id]:
                del self._users[contact_id], self._locks[contact_id]


async def after_conflict(attempt: int) -> None:
    """Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter")."""
    await asyncio.sleep(random.uniform(0, FIRST_PAUSE_SECONDS * 2**attempt))  # noqa: S311
