"""Per-event trace continuity through batch consumers.

FastStream's telemetry middleware gives a batch one ``process`` span in a new trace, linked to the
producers (OTel messaging conventions for batches). We add, for every event, a ``receive`` span in
its *producer's* trace, linked to the batch span, and attach that context while the event's
effects are written, so events a consumer emits in turn (through the outbox) continue the trace:
one trace follows a request from the HTTP call through every Kafka hop.
https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from aiokafka import ConsumerRecord
from opentelemetry import context, propagate, trace
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


@contextmanager
def continue_trace(trace_context: Context | None) -> Iterator[None]:
    """Make an event's receive span current, e.g. while writing the events it causes."""
    if trace_context is None:
        yield
        return
    token = context.attach(trace_context)
    try:
        yield
    finally:
        context.detach(token)


# Trace contexts of the events in the batch being applied, by event id: an event a consumer emits
# with ``trigger_event_id`` set continues its trigger's trace even when a whole batch is folded
# at once (see ``rapport_kit.outbox.outbox_entries``).
_BATCH_CAUSES: ContextVar[Mapping[str, Context] | None] = ContextVar(
    "rapport_batch_causes", default=None
)


@contextmanager
def batch_causes(contexts: Mapping[str, Context]) -> Iterator[None]:
    token = _BATCH_CAUSES.set(contexts)
    try:
        yield
    finally:
        _BATCH_CAUSES.reset(token)


def cause_context(trigger_event_id: str | None) -> Context | None:
    """The receive-span context of the batch event that caused a new event, if known."""
    causes = _BATCH_CAUSES.get()
    return causes.get(trigger_event_id) if causes and trigger_event_id else None


def trace_carrier(trigger_event_id: str | None = None) -> dict[str, str]:
    """W3C trace headers to store with deferred work (e.g. a scheduled delivery): the trigger's
    context when it is in the batch being applied, else the current one."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=cause_context(trigger_event_id))
    return carrier


@contextmanager
def resumed(carrier: Mapping[str, str] | None) -> Iterator[None]:
    """Continue, later, the trace a ``trace_carrier`` was taken in."""
    with continue_trace(propagate.extract(dict(carrier)) if carrier else None):
        yield
