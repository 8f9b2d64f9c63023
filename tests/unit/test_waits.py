"""The test waits: ``eventually`` fails on the wrong value instead of returning it; ``stays``
fails the moment a value that should hold still changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest

from tests.support.kafka import WaitTimedOut, eventually, stays


def counter(*values: int) -> Callable[[], Awaitable[int]]:
    """An async check returning ``values`` one call after another, then the last one."""
    seen: Iterator[int] = iter(values)
    last = values[0]

    async def check() -> int:
        nonlocal last
        last = next(seen, last)
        return last

    return check


async def test_eventually_returns_the_expected_value_once_it_holds() -> None:
    assert await eventually(counter(0, 1, 2), expected=2, interval=0) == 2


async def test_eventually_raises_naming_the_last_value_when_the_count_is_wrong() -> None:
    with pytest.raises(WaitTimedOut, match=r"still returned 3 after 0.05 s; wanted 2"):
        await eventually(counter(1, 3), expected=2, timeout=0.05, interval=0.01)


async def test_eventually_without_expected_waits_for_a_truthy_value() -> None:
    assert await eventually(counter(0, 0, 5), interval=0) == 5
    with pytest.raises(WaitTimedOut, match="wanted a truthy value"):
        await eventually(counter(0), timeout=0.05, interval=0.01)


async def test_eventually_until_a_condition_holds() -> None:
    def at_least_three(value: int) -> bool:
        return value >= 3

    assert await eventually(counter(1, 4), until=at_least_three, interval=0) == 4
    with pytest.raises(WaitTimedOut, match=r"still returned 2 .* at_least_three holds"):
        await eventually(counter(2), until=at_least_three, timeout=0.05, interval=0.01)


async def test_eventually_can_wait_for_a_falsy_value() -> None:
    assert await eventually(counter(2, 1, 0), expected=0, interval=0) == 0


async def test_stays_passes_when_the_value_holds_throughout() -> None:
    await stays(counter(1), 1, for_seconds=0.05, interval=0.01)


async def test_stays_fails_the_moment_the_value_changes() -> None:
    with pytest.raises(WaitTimedOut, match=r"returned 2 after .* to stay 1 for 5 s"):
        await stays(counter(1, 1, 2, 1), 1, for_seconds=5, interval=0.01)
