"""The one task that writes delivery documents.

FerretDB 1.24 (SQLite) applies an update as read-modify-write of the whole document, so two
concurrent writers to one document can lose an update (MongoDB would not). Erasures, the outbox
sweep and deliveries therefore run one after another in this loop instead of as separate tasks;
the consumer only inserts new documents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)
Round = Callable[[], Awaitable[object]]


def one_after_another(rounds: Sequence[Round], *, stop: asyncio.Event) -> Round:
    """The worker's step (``ServiceRuntime.periodic`` runs it, woken by new deliveries): every
    round in order, each failure logged without skipping the rounds after it; none starts once
    ``stop`` is set, and a round under way finishes."""

    async def work() -> None:
        for round_ in rounds:
            if stop.is_set():
                break
            try:
                await round_()
            except Exception:
                log.exception("worker round failed; will retry")

    return work
