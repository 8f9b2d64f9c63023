"""The ``PersonalTopic`` port on Kafka: roll tombstones, one per partition of the personal topic.

Not through the outbox: a roll record belongs to no contact and nothing is lost with one (the
next round appends another), so it is sent directly, to each partition by number (its key only
names the partition; every consumer skips ``_roll:`` keys).
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from rapport_kit.broker import acknowledged, client_security, enqueue
from rapport_kit.personal import roll_key
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics


class KafkaPersonalTopic:
    def __init__(self, broker: KafkaBroker, settings: ServiceSettings) -> None:
        self.broker = broker
        self.settings = settings
        self.name = settings.topic(topics.CONTACTS_PERSONAL)
        self.partitions: list[int] = []  # read from the broker on first use

    async def roll(self) -> int:
        if not self.partitions:
            self.partitions = await self._partitions()
        await acknowledged(
            [
                await enqueue(
                    self.broker, None, topic=self.name, key=roll_key(p).encode(), partition=p
                )
                for p in self.partitions
            ]
        )
        return len(self.partitions)

    async def _partitions(self) -> list[int]:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.kafka_bootstrap, **client_security(self.settings)
        )
        await admin.start()
        try:
            [described] = await admin.describe_topics([self.name])
        finally:
            await admin.close()
        return sorted(p["partition"] for p in described["partitions"])
