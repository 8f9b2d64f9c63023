"""Per-event trace continuity through batch consumers: the Kafka side (spans from records).

FastStream's telemetry middleware gives a batch one ``process`` span in a new trace, linked to the
producers (OTel messaging conventions for batches). We add, for every event, a ``receive`` span in
its *producer's* trace, linked to the batch span, and attach that context while the event's
effects are written, so events a consumer emits in turn (through the outbox) continue the trace:
one trace follows a request from the HTTP call through every Kafka hop.
https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
"""

from __future__ import annotations

from aiokafka import ConsumerRecord
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Tracer


def start_receive_span(tracer: Tracer, record: ConsumerRecord[bytes, bytes], event_id: str) -> Span:
    """A span in the producer's trace for one record of a batch; the caller ends it."""
    carrier = {name: value.decode("utf-8", "replace") for name, value in record.headers}
    batch = trace.get_current_span().get_span_context()
    return tracer.start_span(
        f"{record.topic} receive",
        context=propagate.extract(carrier),
        kind=SpanKind.CONSUMER,
        links=[Link(batch)] if batch.is_valid else None,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "receive",
            "messaging.destination.name": record.topic,
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "messaging.message.id": event_id,
        },
    )


def context_of(span: Span) -> Context:
    return trace.set_span_in_context(span)
