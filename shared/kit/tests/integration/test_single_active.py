"""A ``single_active`` consumer with replicas, on a real broker: the longest-running replica takes
every partition, a replica joining changes nothing, and when the active one leaves the next oldest
takes all of it over; every event applied by exactly one replica."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
from aiokafka import AIOKafkaProducer

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics, wrap
from tests.support.events import interaction
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration

PER_ROUND = 30  # contacts spread over the topic's three partitions


class Recorder:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.partitions: set[int] = set()

    async def __call__(self, batch: Sequence[ReceivedEvent]) -> None:
        self.ids += [received.event.id for received in batch]
        self.partitions |= {received.partition for received in batch}


@contextlib.asynccontextmanager
async def replica(settings: ServiceSettings, recorder: Recorder) -> AsyncIterator[None]:
    runtime = ServiceRuntime.build(settings, service="kit-single")
    runtime.consume("kpis", recorder, base_topics=[topics.CONTACTS], single_active=True)
    async with runtime.run():
        yield


async def publish(bootstrap: str, topic: str, round_: int) -> set[str]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    ids = set()
    try:
        for n in range(PER_ROUND):
            contact = f"c{round_}-{n}"
            event = wrap(interaction(contact), source="/test")
            ids.add(event.id)
            await producer.send_and_wait(
                topic, event.model_dump_json().encode(), key=contact.encode()
            )
    finally:
        await producer.stop()
    return ids


async def test_one_replica_folds_and_the_next_oldest_takes_over(
    service_env: dict[str, object], infra: object, namespace: str
) -> None:
    settings = ServiceSettings(**service_env, consumer_session_timeout_seconds=6)  # type: ignore[arg-type]
    bootstrap, topic = str(service_env["kafka_bootstrap"]), f"{namespace}.{topics.CONTACTS}"
    first, second, third = Recorder(), Recorder(), Recorder()

    def applied() -> list[int]:
        return [len(first.ids), len(second.ids), len(third.ids)]

    async def counts() -> list[int]:
        return applied()

    async with contextlib.AsyncExitStack() as replicas:
        await replicas.enter_async_context(replica(settings, first))
        async with replica(settings, second):
            sent = await publish(bootstrap, topic, 1)
            await eventually(counts, expected=[PER_ROUND, 0, 0], timeout=60)
            assert first.partitions == {0, 1, 2}
            async with replica(settings, third):  # the newest: joining moves nothing
                sent |= await publish(bootstrap, topic, 2)
                await eventually(counts, expected=[2 * PER_ROUND, 0, 0], timeout=60)
                await replicas.aclose()  # the active replica leaves: the next oldest takes over
                sent |= await publish(bootstrap, topic, 3)
                await eventually(counts, expected=[2 * PER_ROUND, PER_ROUND, 0], timeout=90)
    assert second.partitions == {0, 1, 2}
    assert set(first.ids) | set(second.ids) == sent
    assert not set(first.ids) & set(second.ids)
    print(f"\nsingle active: applied per replica (oldest first) {applied()}")
