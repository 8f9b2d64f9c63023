"""Bounded retries with exponential backoff and jitter, for transient faults only."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from rapport_kit.errors import is_transient

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    first_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        base: float = min(self.max_delay, self.first_delay * 2**attempt)
        return base * random.uniform(0.5, 1.0)  # noqa: S311 — jitter, not security


async def retrying(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """Run ``operation``; retry transient errors up to ``policy.attempts`` times, then re-raise."""
    for attempt in range(policy.attempts):
        try:
            return await operation()
        except Exception as error:
            if not is_transient(error) or attempt == policy.attempts - 1:
                raise
            if on_retry is not None:
                on_retry(error)
            await asyncio.sleep(policy.delay(attempt))
    raise AssertionError("unreachable")
