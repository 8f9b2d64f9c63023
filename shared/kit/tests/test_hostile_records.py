"""Records of any shape become dead letters with a reason; nothing escapes ``handle``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from rapport_kit.consuming import BatchConsumer, DeadLetter, ReceivedEvent
from rapport_kit.observability import ConsumerMetrics
from rapport_kit.retry import RetryPolicy
from rapport_kit.truncation import DEAD_LETTER_MAX_BYTES, HEAD_BYTES, stored_key, stored_value
from rapport_schemas import UndecodableEvent, decode, wrap
from tests.support.events import interaction, record

GOOD = wrap(interaction("c1"), source="/test").model_dump_json().encode()


class Recorder:
    def __init__(self, explode_for: str | None = None) -> None:
        self.applied: list[str] = []
        self.dead: list[DeadLetter] = []
        self.explode_for = explode_for

    async def apply(self, batch: Sequence[ReceivedEvent]) -> None:
        if any(e.event.subject == self.explode_for for e in batch):
            raise RecursionError("a handler bug triggered by one event")
        self.applied.extend(e.event.subject for e in batch)

    async def dead_letters(self, consumer: str, letters: Sequence[DeadLetter]) -> None:
        self.dead.extend(letters)


async def handled(batch: list[object], recorder: Recorder) -> list[tuple[int, str]]:
    consumer = BatchConsumer(
        name="test",
        apply=recorder.apply,
        publish_dead_letters=recorder.dead_letters,
        metrics=ConsumerMetrics.register(CollectorRegistry()),
        retry=RetryPolicy(attempts=2, first_delay=0.001),
    )
    await consumer.handle(batch)  # type: ignore[arg-type]
    return [(d.record.offset, d.reason) for d in recorder.dead]


def reason_of(raw: bytes) -> str:
    try:
        decode(raw)
    except UndecodableEvent as error:
        return error.reason
    return "decoded"


def test_hostile_json_is_refused_before_it_can_hurt_the_parser() -> None:
    assert reason_of(b"[" * 50_000 + b"]" * 50_000) == "too_deep"
    assert reason_of(b'{"a": "' + b"[" * 5_000 + b'"}') == "invalid_envelope"  # brackets in text
    assert reason_of(GOOD.replace(b'"c1"', b"NaN", 1)) == "invalid_json"
    assert reason_of(b'{"n": 1e400}') == "invalid_json"
    assert reason_of(b'{"s": "\\ud800"}') == "invalid_json"
    assert reason_of(b'{"s": "\\ud83d\\ude00"}') == "invalid_envelope"  # a valid pair is fine
    assert reason_of("{}".encode("utf-16")) == "invalid_json"
    assert reason_of(GOOD) == "decoded"


async def test_missing_or_foreign_keys_and_exploding_handlers_are_each_events_dead_letter() -> None:
    recorder = Recorder(explode_for="c3")
    batch = [
        record(GOOD, offset=0, key=b"c1"),
        record(GOOD, offset=1, key=None),
        record(GOOD, offset=2, key=b"c2"),
        record(
            wrap(interaction("c3"), source="/t").model_dump_json().encode(), offset=3, key=b"c3"
        ),
        record(b"[" * 100_000, offset=4, key=b"c1"),
    ]
    dead = await handled(batch, recorder)
    assert recorder.applied == ["c1"]
    assert dead == [(1, "key_mismatch"), (2, "key_mismatch"), (4, "too_deep"), (3, "handler_error")]


def test_a_dead_letter_too_large_for_its_topic_is_stored_as_a_summary() -> None:
    value = b"x" * (DEAD_LETTER_MAX_BYTES + 1)
    summary = stored_value(record(value, offset=7, topic="src"), "too_large", limit=1000)
    assert summary is not None and len(summary) < 2 * HEAD_BYTES
    document = json.loads(summary)
    assert document["original"] == {"topic": "src", "partition": 0, "offset": 7}
    assert document["sha256"] == hashlib.sha256(value).hexdigest()
    assert document["size"] == len(value) and document["reason"] == "too_large"
    assert stored_value(record(b"small", offset=0), "invalid_json", limit=1000) is None
    assert stored_key(b"k" * 5000) == b"sha256:" + hashlib.sha256(b"k" * 5000).hexdigest().encode()
