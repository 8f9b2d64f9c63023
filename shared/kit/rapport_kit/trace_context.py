"""Trace contexts carried with work, transport-free: continuing a stored or a batch event's trace.

The service layer may use this module (it imports no transport); the Kafka side that makes the
receive spans from records is ``rapport_kit.tracing``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import context, propagate
from opentelemetry.context import Context


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
