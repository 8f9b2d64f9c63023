"""``/livez``: the probe that makes Kubernetes replace a pod whose consumers are stuck.

``/healthz`` only says the process serves HTTP, and ``/readyz`` fails for any dependency away or
stall (the pod leaves the Service and a rollout waits). Restarting helps only when the fault is
inside this process: so ``/livez`` fails when one of this process's consumers has had lag without
progress for ``restart_after`` seconds *while Kafka and MongoDB answer*. A broker or database
outage stalls every replica; killing them all then would only add rebalances to the outage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Response, status

Check = Callable[[], Awaitable[None]]


def liveness_router(
    stuck_for: Callable[[], float], dependencies: dict[str, Check], *, restart_after: float
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/livez", include_in_schema=False)
    async def livez(response: Response) -> dict[str, Any]:
        """Liveness for consumers: 503 when stuck this long with every dependency answering."""
        stuck = stuck_for()
        if stuck < restart_after:
            return {"status": "ok"}
        if not await _all_answer(dependencies):
            return {"status": "ok", "stalled_for_seconds": int(stuck), "cause": "dependency"}
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "stuck", "stalled_for_seconds": int(stuck)}

    return router


async def _all_answer(dependencies: dict[str, Check]) -> bool:
    try:
        await asyncio.wait_for(asyncio.gather(*(check() for check in dependencies.values())), 2.0)
    except Exception:  # any failure means "a dependency is away": not this process's fault
        return False
    return True
