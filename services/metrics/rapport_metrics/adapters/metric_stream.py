"""``MetricComputed`` on ``rapport.metrics.kpis``: keyed by series point, the event id derived
from the value, so a repeated value (a redelivered batch, a republished family) carries the same
event id on the compacted latest-value stream, and its ``sequence`` orders a point's
computations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from faststream.kafka import KafkaBroker

from rapport_kit.broker import acknowledged, enqueue
from rapport_schemas import wrap
from rapport_schemas.envelope import sequence_text
from rapport_schemas.metrics import MetricComputed

SOURCE = "/rapport/metrics"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ID_NAMESPACE = uuid.UUID("6f1d3c52-8a4e-4f0b-9a57-1d2f0c6b9e11")


def event_id(data: MetricComputed) -> str:
    fingerprint = (
        f"{data.partition_key()}|{data.value}|{data.sample_size}|{data.ci_low}|{data.ci_high}"
    )
    if data.unconverted:
        fingerprint += f"|{sorted(data.unconverted.items())}"
    return str(uuid.uuid5(ID_NAMESPACE, fingerprint))


def computation_sequence(data: MetricComputed) -> str:
    """A point's later computation supersedes an earlier one: its ``sequence`` is the
    computation time in microseconds since the epoch (a series point is not about one contact)."""
    return sequence_text((data.computed_at - EPOCH) // timedelta(microseconds=1))


class KafkaMetricSink:
    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self.broker = broker
        self.topic = topic

    async def send(self, computed: Sequence[MetricComputed]) -> None:
        """Queued on the producer in order, acknowledged together (``acks=all``)."""
        acknowledgements = []
        for data in computed:
            event = wrap(
                data,
                source=SOURCE,
                event_id=event_id(data),
                time=data.computed_at,
                sequence=computation_sequence(data),
                stream=data.partition_key(),
            )
            value, key = event.model_dump_json().encode(), data.partition_key().encode()
            acknowledgements.append(await enqueue(self.broker, value, topic=self.topic, key=key))
        await acknowledged(acknowledgements)


class SilentMetricSink:
    """Publishes nothing: a rebuild folds history without re-announcing every point it passes
    through; after the switch every family is republished once (``read_models``)."""

    async def send(self, computed: Sequence[MetricComputed]) -> None:
        del computed
