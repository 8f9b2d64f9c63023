"""The one task that writes delivery documents.

FerretDB 1.24 (SQLite) applies an update as read-modify-write of the whole document, so two
concurrent writers to one document can lose an update (MongoDB would not). Erasures, the outbox
sweep and deliveries therefore run one after another in this loop instead of as separate tasks;
the consumer only inserts new documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)
Round = Callable[[], Awaitable[object]]


async def work_until_stopped(
    rounds: Sequence[Round], *, wake: asyncio.Event, stop: asyncio.Event, interval: float
) -> None:
    """Run every round, then sleep until woken or ``interval``; a round under way finishes."""
    while not stop.is_set():
        wake.clear()
        for work in rounds:
            if stop.is_set():
                break
            try:
                await work()
            except Exception:
                log.exception("worker round failed; will retry")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), interval)
