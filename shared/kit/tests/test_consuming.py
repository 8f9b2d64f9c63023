"""Poison goes to the dead-letter publisher with its reason; good events still apply."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry
from pymongo.errors import AutoReconnect

from rapport_kit.consuming import BatchConsumer, DeadLetter, ReceivedEvent
from rapport_kit.errors import PermanentError
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.retry import RetryPolicy
from tests.support.events import interaction, received, record


class Recorder:
    def __init__(self, fail_for: str | None = None, transient_failures: int = 0) -> None:
        self.applied: list[str] = []
        self.dead: list[DeadLetter] = []
        self.fail_for = fail_for
        self.transient_failures = transient_failures

    async def apply(self, batch: Sequence[ReceivedEvent]) -> None:
        if self.transient_failures:
            self.transient_failures -= 1
            raise AutoReconnect("mongo away")
        if any(e.event.subject == self.fail_for for e in batch):
            raise PermanentError("bad_contact", "cannot apply")
        self.applied.extend(e.event.subject for e in batch)

    async def dead_letters(self, consumer: str, letters: Sequence[DeadLetter]) -> None:
        self.dead.extend(letters)


def consumer_for(recorder: Recorder) -> BatchConsumer:
    return BatchConsumer(
        name="test",
        apply=recorder.apply,
        publish_dead_letters=recorder.dead_letters,
        metrics=ConsumerMetrics.register(CollectorRegistry()),
        retry=RetryPolicy(attempts=3, first_delay=0.001),
    )


async def test_malformed_and_failing_messages_are_dead_lettered_and_the_rest_applied() -> None:
    recorder = Recorder(fail_for="poison")
    batch = [
        received(interaction("a"), offset=0).record,
        record(b"{oops", offset=1),
        received(interaction("poison"), offset=2).record,
        received(interaction("b"), offset=3).record,
    ]
    await consumer_for(recorder).handle(batch)
    assert recorder.applied == ["a", "b"]
    assert [(d.record.offset, d.reason) for d in recorder.dead] == [
        (1, "invalid_json"),
        (2, "bad_contact"),
    ]


async def test_transient_faults_are_retried() -> None:
    recorder = Recorder(transient_failures=2)
    await consumer_for(recorder).handle([received(interaction("a"), offset=0).record])
    assert recorder.applied == ["a"] and recorder.dead == []


async def test_persistent_transient_faults_fail_the_batch_so_it_is_redelivered() -> None:
    recorder = Recorder(transient_failures=10)
    with pytest.raises(AutoReconnect):
        await consumer_for(recorder).handle([received(interaction("a"), offset=0).record])
    assert recorder.dead == []
