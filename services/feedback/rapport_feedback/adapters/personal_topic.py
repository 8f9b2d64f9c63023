"""The ``PersonalTopic`` port on Kafka: a roll tombstone on each partition of
rapport.feedback.personal.

Not through the outbox: a roll record belongs to no contact and nothing is lost with one (the next
round appends another), so it is sent directly, to each partition by number (its key only names
the partition; every consumer skips ``_roll:`` keys).
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from rapport_kit.admin import end_offsets
from rapport_kit.broker import client_security
from rapport_kit.personal import roll_segments
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics


class KafkaPersonalTopic:
    def __init__(self, broker: KafkaBroker, settings: ServiceSettings) -> None:
        self.broker = broker
        self.settings = settings
        self.name = settings.topic(topics.FEEDBACK_PERSONAL)
        self.partitions = 0  # read from the broker on first use (the topic may predate us)

    async def roll(self) -> int:
        if not self.partitions:
            security = client_security(self.settings)
            ends = await end_offsets(self.settings.kafka_bootstrap, [self.name], security=security)
            self.partitions = len(ends)
        await roll_segments(self.broker, self.name, partitions=self.partitions)
        return self.partitions
