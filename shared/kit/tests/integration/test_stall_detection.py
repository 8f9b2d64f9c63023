"""A consumer that cannot progress turns /readyz to 503 naming it and its gauge to 1; later
/livez fails too (Kafka and MongoDB answer, so a restart can help)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import httpx
import pytest
from fastapi import FastAPI

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.http import operations_router
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics, wrap
from tests.support.events import interaction
from tests.support.kafka import eventually, produce

pytestmark = pytest.mark.integration

STALL_AFTER = 3.0
RESTART_AFTER = 12.0


class StuckApply:
    """Applies nothing until released: a consumer that cannot make progress."""

    def __init__(self) -> None:
        self.released = asyncio.Event()
        self.applied = 0

    async def __call__(self, events: Sequence[ReceivedEvent]) -> None:
        await self.released.wait()
        self.applied += len(events)


async def test_a_stalled_consumer_fails_readiness_and_sets_its_gauge(
    service_env, infra, namespace
) -> None:
    settings = ServiceSettings(
        **service_env,  # type: ignore[arg-type]
        consumer_stall_after_seconds=STALL_AFTER,
        consumer_stall_check_seconds=0.5,
        consumer_stall_restart_seconds=RESTART_AFTER,
    )
    runtime = ServiceRuntime.build(settings, service="kit-stall")
    stuck = StuckApply()
    runtime.consume("stuck", stuck, base_topics=[topics.CONTACTS])
    app = FastAPI()
    app.include_router(operations_router(runtime.registry, runtime.readiness_checks()))
    app.include_router(runtime.liveness_router())
    transport = httpx.ASGITransport(app=app)

    def stalled_gauge() -> float | None:
        return runtime.registry.get_sample_value("rapport_consumer_stalled", {"consumer": "stuck"})

    async with runtime.run(), httpx.AsyncClient(transport=transport, base_url="http://k") as http:

        async def readiness() -> tuple[int, dict[str, str]]:
            answer = await http.get("/readyz")
            return answer.status_code, answer.json()

        assert (await readiness())[0] == 200
        event = wrap(interaction("c-stuck"), source="/test").model_dump_json().encode()
        await produce(
            infra.kafka_bootstrap, f"{namespace}.{topics.CONTACTS}", event, key=b"c-stuck"
        )
        produced = time.monotonic()

        async def stalled() -> bool:
            return stalled_gauge() == 1 and (await readiness())[0] == 503

        await eventually(stalled, timeout=60)
        detected_after = time.monotonic() - produced
        status, body = await readiness()
        assert status == 503 and body["consumer stuck"] == "unavailable: ConsumerStalled"
        assert body["kafka"] == "ok" and body["mongodb"] == "ok"
        assert (await http.get("/livez")).status_code == 200  # not stuck long enough to restart
        lags = [
            runtime.registry.get_sample_value(
                "rapport_consumer_lag_messages",
                {"consumer": "stuck", "topic": f"{namespace}.{topics.CONTACTS}", "partition": p},
            )
            for p in ("0", "1", "2")
        ]
        lag = sum(x or 0 for x in lags)
        assert lag == 1, lags  # measured on the timer: no batch ever finished

        async def liveness_fails() -> bool:
            return (await http.get("/livez")).status_code == 503

        await eventually(liveness_fails, timeout=60)
        replaced_after = time.monotonic() - produced
        assert replaced_after >= RESTART_AFTER

        stuck.released.set()

        async def recovered() -> bool:
            live = (await http.get("/livez")).status_code
            return stalled_gauge() == 0 and (await readiness())[0] == 200 and live == 200

        await eventually(recovered, timeout=60)
        assert stuck.applied == 1
    print(
        f"\nstall: consumer 'stuck' with lag {int(lag)} and no progress -> /readyz {status} {body};"
        f" rapport_consumer_stalled 1 after {detected_after:.1f} s (stall time {STALL_AFTER} s);"
        f" /livez 503 after {replaced_after:.1f} s (restart time {RESTART_AFTER} s);"
        " released -> applied, /readyz 200, /livez 200, gauge 0"
    )
