"""A stalled consumer cannot hide: lag measured on a timer from committed offsets.

The lag gauge used to move only after a batch, so a consumer stuck on its first batch showed no lag
at all. Here every consumer group's committed offsets are compared with the partitions' end offsets
every few seconds; a partition with lag whose committed offset has not moved for ``stall_after``
seconds is stalled: logged once, counted in ``rapport_consumer_stalled`` and reported by
``/readyz`` (see ``ServiceRuntime.readiness_checks``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from rapport_kit.broker import client_security
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.settings import ServiceSettings

log = logging.getLogger(__name__)


class ConsumerStalled(Exception):
    """Readiness failure: the consumer has lag and made no progress for the configured time."""


@dataclass(frozen=True)
class WatchedConsumer:
    """``assigned`` gives this process's partitions: with replicas, each one answers for its own
    (a replica whose neighbour is stuck is healthy and must stay ready)."""

    name: str
    group_id: str
    assigned: Callable[[], frozenset[TopicPartition]]


@dataclass
class _Waiting:
    committed: int
    since: float
    reported: bool = False


@dataclass
class StallTracker:
    """Pure bookkeeping: which partitions have had lag without progress for ``stall_after``."""

    stall_after: float
    _waiting: dict[tuple[str, TopicPartition], _Waiting] = field(default_factory=dict)

    def observe(
        self, consumer: str, partition: TopicPartition, *, committed: int, end: int, now: float
    ) -> bool:
        """Record one measurement; ``True`` the first time this partition counts as stalled."""
        slot = (consumer, partition)
        waiting = self._waiting.get(slot)
        if end <= committed:
            self._waiting.pop(slot, None)
            return False
        if waiting is None or waiting.committed != committed:
            self._waiting[slot] = _Waiting(committed, now)
            return False
        if waiting.reported or now - waiting.since < self.stall_after:
            return False
        waiting.reported = True
        return True

    def keep_only(self, consumer: str, partitions: frozenset[TopicPartition]) -> None:
        """Forget partitions no longer assigned (a rebalance moved them to another replica)."""
        for slot in [s for s in self._waiting if s[0] == consumer and s[1] not in partitions]:
            del self._waiting[slot]

    def stalled(self, consumer: str) -> list[TopicPartition]:
        return [tp for (name, tp), w in self._waiting.items() if name == consumer and w.reported]

    def longest_stall(self, *, now: float) -> float:
        """Seconds the longest current stall has lasted without progress (0 when none)."""
        return max((now - w.since for w in self._waiting.values() if w.reported), default=0.0)


class StallMonitor:
    """Measures lag of every watched consumer group, one ``measure_once`` per interval."""

    def __init__(
        self,
        settings: ServiceSettings,
        metrics: ConsumerMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self.tracker = StallTracker(stall_after=settings.consumer_stall_after_seconds)
        self.watched: list[WatchedConsumer] = []
        self._open: tuple[AIOKafkaAdminClient, AIOKafkaConsumer] | None = None

    def watch(self, consumer: WatchedConsumer) -> None:
        self.watched.append(consumer)
        self._metrics.stalled.labels(consumer.name).set(0)

    def check(self, consumer: str) -> Callable[[], Awaitable[None]]:
        """A readiness check failing while ``consumer`` has a stalled partition."""

        async def consumer_progresses() -> None:
            if self.tracker.stalled(consumer):
                raise ConsumerStalled(consumer)

        return consumer_progresses

    def stuck_for(self) -> float:
        return self.tracker.longest_stall(now=self._clock())

    async def measure_once(self) -> None:
        """One measurement of every watched consumer (``ServiceRuntime`` runs it periodically);
        the clients stay open between rounds, a failed round (broker away) closes them and the
        next one reconnects."""
        try:
            admin, offsets = await self._clients()
            for consumer in self.watched:
                await self._measure(consumer, admin, offsets)
        except Exception as error:  # a broker away is /readyz's "kafka" check
            await self.close()
            log.warning(
                "consumer lag not measured", extra={"fields": {"error": type(error).__name__}}
            )

    async def close(self) -> None:
        if self._open is None:
            return
        admin, offsets = self._open
        self._open = None
        try:
            await offsets.stop()
        finally:
            await admin.close()

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._open is None:
            security = client_security(self._settings)
            bootstrap = self._settings.kafka_bootstrap
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
            offsets = AIOKafkaConsumer(
                bootstrap_servers=bootstrap, enable_auto_commit=False, **security
            )
            self._open = (admin, offsets)
            await admin.start()
            await offsets.start()
        return self._open

    async def _measure(
        self, consumer: WatchedConsumer, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer
    ) -> None:
        partitions = sorted(consumer.assigned())
        self.tracker.keep_only(consumer.name, frozenset(partitions))
        if not partitions:
            self._metrics.stalled.labels(consumer.name).set(0)
            return
        committed = await admin.list_consumer_group_offsets(consumer.group_id)
        ends = await offsets.end_offsets(partitions)
        starts = await offsets.beginning_offsets(partitions)
        now = self._clock()
        for partition in partitions:
            meta = committed.get(partition)
            position = meta.offset if meta is not None and meta.offset >= 0 else starts[partition]
            self._record(consumer.name, partition, committed=position, end=ends[partition], now=now)
        stalled = 1 if self.tracker.stalled(consumer.name) else 0
        self._metrics.stalled.labels(consumer.name).set(stalled)

    def _record(
        self, consumer: str, partition: TopicPartition, *, committed: int, end: int, now: float
    ) -> None:
        lag = max(0, end - committed)
        self._metrics.lag.labels(consumer, partition.topic, str(partition.partition)).set(lag)
        if self.tracker.observe(consumer, partition, committed=committed, end=end, now=now):
            fields = {
                "consumer": consumer,
                "topic": partition.topic,
                "partition": partition.partition,
                "committed_offset": committed,
                "lag": lag,
                "stalled_for_seconds": self.tracker.stall_after,
            }
            log.error("consumer stalled: lag without progress", extra={"fields": fields})
