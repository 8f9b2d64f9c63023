"""Background work of a service process: one loop helper and one teardown for every task."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
Step = Callable[[], Awaitable[object]]
# How long teardown waits for cancelled background tasks (a step stuck in a call that ignores
# cancellation must not hold the shutdown for ever).
TEARDOWN_SECONDS = 10.0


async def periodic(
    name: str,
    interval: float,
    step: Step,
    *,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    wait_first: bool = False,
) -> None:
    """Run ``step`` every ``interval`` seconds until ``stop`` is set: a failing step is logged
    and tried again next time; ``wake`` cuts the wait short (new work arrived); ``wait_first``
    waits one interval before the first step."""
    if wait_first:
        await _pause(interval, stop, wake)
    while not stop.is_set():
        if wake is not None:
            wake.clear()
        try:
            await step()
        except Exception:
            log.exception("%s failed; will retry", name, extra={"fields": {"task": name}})
        await _pause(interval, stop, wake)


async def _pause(interval: float, stop: asyncio.Event, wake: asyncio.Event | None) -> None:
    waits = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


@dataclass
class _Task:
    name: str
    task: asyncio.Task[None]
    grace: float


@dataclass
class Background:
    """The background tasks of one run, started by ``start`` and stopped together by ``stop``."""

    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    running: bool = False
    _tasks: list[_Task] = field(default_factory=list)

    def begin(self) -> None:
        self.stopping.clear()
        self.running = True

    def start(
        self,
        name: str,
        interval: float,
        step: Step,
        *,
        wake: asyncio.Event | None = None,
        wait_first: bool = False,
        grace: float = 0.0,
    ) -> None:
        if not self.running:
            raise RuntimeError(f"{name}: background work starts inside ServiceRuntime.run")
        loop = periodic(name, interval, step, stop=self.stopping, wake=wake, wait_first=wait_first)
        self._tasks.append(_Task(name, asyncio.create_task(loop, name=name), grace))

    async def stop(self) -> None:
        """The one teardown: stop, give each task its grace, cancel, await (bounded)."""
        self.stopping.set()
        self.running = False
        background, self._tasks = self._tasks, []
        for work in background:
            if work.grace > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(work.task), work.grace)
        tasks = [work.task for work in background]
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=TEARDOWN_SECONDS)
        for task in pending:
            log.error("background task did not stop", extra={"fields": {"task": task.get_name()}})
