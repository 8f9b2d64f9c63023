"""The consumer pattern: at-least-once batches, dead letters for poison, retries for faults.

A batch is decoded message by message; undecodable ones go to the service's dead-letter topic with
the reason and their original coordinates in headers (a record of a personal topic: without its
value). A v1 copy (CloudEvents extension ``rapportcopyof``: a producer's migration aid for other
subscribers) and a roll tombstone are acknowledged and never applied; a null value on a personal
topic is handed over as a ``personal.Tombstone`` event, on any other topic it is a dead letter.
The rest is applied with bounded retries for transient faults. A permanent failure of the batch
is narrowed to the events that cause it, which are dead-lettered, so a poison message never
blocks its partition. Offsets are committed by
FastStream's ``NACK_ON_ERROR`` policy only after the handler returned, i.e. after the effect and the
dead letters are stored; an exception rewinds the partitions and the batch is delivered again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Tracer

from rapport_kit.errors import PermanentError, is_transient
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.personal import is_roll, personal_topic_of, tombstone_event
from rapport_kit.projection import ProjectedEvent
from rapport_kit.retry import RetryPolicy, retrying
from rapport_kit.trace_context import batch_causes, continue_trace
from rapport_kit.tracing import context_of, start_receive_span
from rapport_schemas import CloudEvent, EventData, UndecodableEvent, decode

log = logging.getLogger(__name__)

MAX_DETAIL_CHARS = 500


@dataclass(frozen=True)
class ReceivedEvent:
    """A decoded event with the coordinates that make redelivery recognisable."""

    event: CloudEvent[EventData]
    topic: str
    partition: int
    offset: int
    record: ConsumerRecord[bytes, bytes] = field(repr=False, compare=False)
    trace_context: Context | None = field(default=None, repr=False, compare=False)

    @property
    def data(self) -> EventData:
        return self.event.data

    @property
    def projected(self) -> ProjectedEvent:
        """The transport-free part, for projections."""
        return ProjectedEvent(self.event, self.topic, self.partition, self.offset)

    def traced(self) -> AbstractContextManager[None]:
        """While inside, this event's trace is current (outbox entries written then continue it)."""
        return continue_trace(self.trace_context)


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord[bytes, bytes]
    reason: str
    detail: str


ApplyBatch = Callable[[Sequence[ReceivedEvent]], Awaitable[None]]
PublishDeadLetters = Callable[[str, Sequence[DeadLetter]], Awaitable[None]]


class BatchConsumer:
    """Decode, apply, isolate poison; ``handle`` returns only when everything is stored."""

    def __init__(
        self,
        *,
        name: str,
        apply: ApplyBatch,
        publish_dead_letters: PublishDeadLetters,
        metrics: ConsumerMetrics,
        retry: RetryPolicy | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.name = name
        self._tracer = tracer or trace.get_tracer(__name__)
        self._apply = apply
        self._publish_dead_letters = publish_dead_letters
        self._metrics = metrics
        self._retry = retry or RetryPolicy()

    async def handle(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        started = time.perf_counter()
        events, dead, skipped = _decode_all(records)
        for reason, count in skipped.items():
            self._metrics.skipped.labels(self.name, reason).inc(count)
        spans = [start_receive_span(self._tracer, e.record, e.event.id) for e in events]
        events = [
            replace(e, trace_context=context_of(s)) for e, s in zip(events, spans, strict=True)
        ]
        causes = {e.event.id: e.trace_context for e in events if e.trace_context is not None}
        try:
            with batch_causes(causes):
                poisoned = await self._apply_isolating_poison(events)
        finally:
            for span in spans:
                span.end()
        dead.extend(poisoned)
        if dead:
            await retrying(lambda: self._publish_dead_letters(self.name, dead), self._retry)
            for letter in dead:
                self._metrics.dead_letters.labels(self.name, letter.reason).inc()
        poisoned_records = {id(letter.record) for letter in poisoned}
        for received in events:
            if id(received.record) in poisoned_records:
                continue
            self._metrics.consumed.labels(self.name, received.event.type).inc()
        self._metrics.batch_seconds.labels(self.name).observe(time.perf_counter() - started)

    async def _apply_isolating_poison(self, events: list[ReceivedEvent]) -> list[DeadLetter]:
        if not events:
            return []
        try:
            await self._apply_with_retries(events)
            return []
        except Exception as error:
            if is_transient(error):
                raise
            if len(events) == 1:
                return [_dead_letter_for(events[0], error)]
        log.warning("batch failed permanently; isolating", extra={"fields": {"size": len(events)}})
        dead: list[DeadLetter] = []
        for received in events:
            dead.extend(await self._apply_isolating_poison([received]))
        return dead

    async def _apply_with_retries(self, events: Sequence[ReceivedEvent]) -> None:
        def count_retry(error: BaseException) -> None:
            self._metrics.retries.labels(self.name).inc()
            log.warning(
                "transient failure, retrying", extra={"fields": {"error": type(error).__name__}}
            )

        await retrying(lambda: self._apply(events), self._retry, on_retry=count_retry)


# Why a record is acknowledged without being applied (the ``rapport_events_skipped_total`` label).
V1_COPY = "v1_copy"
ROLL = "roll"


def _decode_all(
    records: Sequence[ConsumerRecord[bytes, bytes]],
) -> tuple[list[ReceivedEvent], list[DeadLetter], dict[str, int]]:
    events: list[ReceivedEvent] = []
    dead: list[DeadLetter] = []
    skipped: dict[str, int] = {}
    for record in records:
        try:
            received = received_event(record)
        except UndecodableEvent as error:
            dead.append(dead_letter(record, error.reason, error.detail))
            continue
        if isinstance(received, ReceivedEvent):
            events.append(received)
        else:
            skipped[received] = skipped.get(received, 0) + 1
    return events, dead, skipped


def received_event(record: ConsumerRecord[bytes, bytes]) -> ReceivedEvent | str:
    """The event a consumer applies for ``record``, or why it applies none (``V1_COPY``,
    ``ROLL``); ``UndecodableEvent`` for a dead letter. Every Rapport consumer (and a rebuild)
    reads records through this one function."""
    personal = personal_topic_of(record.topic)
    if personal is not None and record.value is None:
        if is_roll(record):
            return ROLL
        event = tombstone_event(record, personal)
    else:
        event = decode(record.value or b"")
        if event.rapportcopyof is not None:
            return V1_COPY
        _check_key(record, event, personal=personal is not None)
    return ReceivedEvent(event, record.topic, record.partition, record.offset, record)


def _check_key(
    record: ConsumerRecord[bytes, bytes], event: CloudEvent[EventData], *, personal: bool
) -> None:
    """Per-contact order holds only if every event about a contact has its id as the key; on a
    personal topic the key is the record's item (``<contact_id>`` or ``<contact_id>:…``)."""
    if record.key is None:
        raise UndecodableEvent("key_mismatch", "record has no key")
    key = record.key.decode("utf-8", "replace")
    if not personal and key != event.subject:
        raise UndecodableEvent("key_mismatch", "record key differs from the event's subject")
    if personal and (key != event.partitionkey or key.partition(":")[0] != event.subject):
        raise UndecodableEvent("key_mismatch", "record key differs from the event's item")


def dead_letter(record: ConsumerRecord[bytes, bytes], reason: str, detail: str) -> DeadLetter:
    """Detail goes into a Kafka header: short and always encodable."""
    printable = detail.encode("utf-8", "replace").decode("utf-8")[:MAX_DETAIL_CHARS]
    return DeadLetter(record, reason, printable)


def _dead_letter_for(received: ReceivedEvent, error: Exception) -> DeadLetter:
    reason = error.reason if isinstance(error, PermanentError) else "handler_error"
    detail = error.detail if isinstance(error, PermanentError) else type(error).__name__
    return dead_letter(received.record, reason, detail)


def dead_letter_headers(letter: DeadLetter, *, consumer: str) -> dict[str, str]:
    """The error and the original coordinates, so an operator can replay after a fix."""
    record = letter.record
    return {
        "x-rapport-dlq-reason": letter.reason,
        "x-rapport-dlq-detail": letter.detail,
        "x-rapport-dlq-consumer": consumer,
        "x-rapport-original-topic": record.topic,
        "x-rapport-original-partition": str(record.partition),
        "x-rapport-original-offset": str(record.offset),
        "x-rapport-failed-at": datetime.now(UTC).isoformat(),
    }
