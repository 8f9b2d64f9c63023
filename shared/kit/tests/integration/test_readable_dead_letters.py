"""What the kit writes to Kafka, events and dead letters alike, a CloudEvents SDK reads.

Every event type is sent through the kit's producer and every kind of dead letter is written by
the kit's consumer on the real broker; each record is then read with the Python ``cloudevents``
SDK's Kafka binding (issue 18: the Java, Node and Go SDKs refused dead letters whose
``content-type`` was empty).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from aiokafka import ConsumerRecord

from rapport_kit.broker import acknowledged, enqueue
from rapport_kit.consuming import ReceivedEvent
from rapport_kit.errors import PermanentError
from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_kit.truncation import DEAD_LETTER_MAX_BYTES, SUMMARY_TYPE
from rapport_schemas import CONTENT_TYPE, topics, wrap
from rapport_schemas.catalog import EVENT_MODELS
from tests.support.cloudevents_sdk import NotACloudEvent, read_cloudevent
from tests.support.contract_examples import example_of
from tests.support.events import interaction
from tests.support.kafka import produce, read_until

pytestmark = pytest.mark.integration

Record = ConsumerRecord[bytes, bytes]


REASONS = {
    "handler refused (poison)": "poison",
    "key mismatch": "key_mismatch",
    "unknown type": "unknown_type",
    "binary mode from another system": "invalid_envelope",
    "too large (truncated)": "too_large",
    "not JSON, no headers": "invalid_json",
}


async def refuse_poison(batch: Sequence[ReceivedEvent]) -> None:
    if any(received.event.subject == "c-poison" for received in batch):
        raise PermanentError("poison", "a handler refusing this contact for good")


def headers_of(record: Record) -> dict[str, str]:
    return {name: (value or b"").decode() for name, value in record.headers}


async def test_every_event_type_the_kit_publishes_is_read_by_the_sdk(
    service_env, infra, namespace
) -> None:
    runtime = ServiceRuntime.build(ServiceSettings(**service_env), service="kit-test")  # type: ignore[arg-type]
    topic = runtime.settings.topic("published")
    events = [wrap(example_of(model), source="/test") for model in EVENT_MODELS]
    async with runtime.run(produced_topics=["published"]):
        await acknowledged(
            [
                await enqueue(
                    runtime.broker,
                    event.model_dump_json().encode(),
                    topic=topic,
                    key=event.partitionkey.encode(),
                )
                for event in events
            ]
        )
    records = await read_until(infra.kafka_bootstrap, topic, lambda rs: len(rs) >= len(events))
    read = [read_cloudevent(record) for record in records]
    # Partitions interleave: compare as sets (each type once, each id once).
    assert sorted((e.get_type(), e.get_id()) for e in read) == sorted(
        (e.type, e.id) for e in events
    )
    assert len({e.get_type() for e in read}) == len(EVENT_MODELS)
    assert all(headers_of(r)["content-type"] == CONTENT_TYPE for r in records)
    print(f"events read by the cloudevents SDK: {len(read)} of {len(EVENT_MODELS)} types")


async def test_every_kind_of_dead_letter_keeps_its_original_and_says_what_it_is(
    service_env, infra, namespace
) -> None:
    runtime = ServiceRuntime.build(ServiceSettings(**service_env), service="kit-test")  # type: ignore[arg-type]
    runtime.consume("letters", refuse_poison, base_topics=[topics.CONTACTS])
    source = f"{namespace}.{topics.CONTACTS}"
    headers = [  # what the kit's producer writes (the first test checks its content-type)
        ("content-type", CONTENT_TYPE.encode()),
        ("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01"),
    ]

    def event(contact: str, **changes: object) -> bytes:
        envelope = json.loads(wrap(interaction(contact), source="/test").model_dump_json())
        return json.dumps(envelope | changes).encode()

    binary = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"b-1"),
        ("ce_source", b"/elsewhere"),
        ("ce_type", b"com.example.binary"),
        ("content-type", b"application/json"),
    ]
    sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = [
        ("handler refused (poison)", event("c-poison"), b"c-poison", headers),
        ("key mismatch", event("c-1"), b"c-other", headers),
        (
            "unknown type",
            event("c-unknown", type="rapport.contacts.unheard_of.v1"),
            b"c-unknown",
            headers,
        ),
        ("binary mode from another system", b'{"hello": "world"}', b"c-binary", binary),
        (
            "too large (truncated)",
            event("c-large", data={"pad": "x" * (DEAD_LETTER_MAX_BYTES + 1)}),
            b"c-large",
            headers,
        ),
        ("not JSON, no headers", b"\x00\xffnot json", b"c-garbage", []),
    ]
    async with runtime.run():
        for _, value, key, record_headers in sent:
            await produce(infra.kafka_bootstrap, source, value, key=key, headers=record_headers)
        letters = await read_until(
            infra.kafka_bootstrap,
            f"{namespace}.rapport.kit-test.dlq",
            lambda rs: len(rs) >= len(sent),
            timeout=60,
        )
    assert len(letters) == len(sent)
    by_key = {r.key: r for r in letters}  # each record sent has its own key
    read = 0
    reasons: dict[str, str] = {}
    for kind, value, key, record_headers in sent:
        letter = by_key[key]
        letter_headers = headers_of(letter)
        reasons[kind] = letter_headers["x-rapport-dlq-reason"]
        if kind.startswith("too large"):
            assert letter_headers["content-type"] == "application/json"
            assert letter_headers["x-rapport-original-content-type"] == CONTENT_TYPE
            summary = read_cloudevent(letter)
            assert summary.get_type() == SUMMARY_TYPE
            assert summary.get_data()["size"] == len(value)
            read += 1
            continue
        assert letter.value == value, kind
        # traceparent is the one header not kept: the telemetry middleware writes the dead
        # letter's own (the consumer's span), as for every record the kit publishes.
        kept = {n: v.decode() for n, v in record_headers if n != "traceparent"}
        assert kept.items() <= letter_headers.items(), kind
        if not record_headers:
            assert letter_headers["content-type"] == "application/octet-stream"
            with pytest.raises(NotACloudEvent):
                read_cloudevent(letter)
            continue
        sdk_event = read_cloudevent(letter)
        assert sdk_event.get_data() is not None, kind
        read += 1
    assert read == len(sent) - 1
    assert reasons == REASONS
    print(f"dead letters read by the cloudevents SDK: {read} of {len(sent)} kinds")
