"""The headers the kit writes on a dead letter are the ones the AsyncAPI document promises."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, cast

from faststream.kafka import KafkaBroker

from rapport_kit.consuming import dead_letter
from rapport_kit.settings import ServiceSettings
from rapport_kit.subscription import dead_letter_publisher
from rapport_kit.truncation import DEAD_LETTER_MAX_BYTES
from rapport_schemas import CONTENT_TYPE
from rapport_schemas.asyncapi import document
from tests.support.events import record


@dataclasses.dataclass
class RecordingBroker:
    published: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    async def publish(self, value: bytes, **options: Any) -> None:
        self.published.append({"value": value, **options})


async def _dead_lettered(value: bytes) -> dict[str, Any]:
    broker = RecordingBroker()
    publish = dead_letter_publisher(
        cast(KafkaBroker, broker), settings=ServiceSettings(), service="contacts"
    )
    original = dataclasses.replace(
        record(value, offset=7), headers=[("content-type", CONTENT_TYPE.encode())]
    )
    await publish("view", [dead_letter(original, "invalid_json", "JSONDecodeError")])
    (letter,) = broker.published
    return letter


def _documented(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], document()["components"]["schemas"][name])


async def test_a_dead_letter_carries_exactly_the_documented_headers() -> None:
    letter = await _dead_lettered(b"{not json")
    schema = _documented("DeadLetterHeaders")
    assert set(letter["headers"]) == set(schema["properties"]) == set(schema["required"])
    assert letter["headers"]["content-type"] == CONTENT_TYPE
    assert letter["value"] == b"{not json" and letter["topic"] == "rapport.contacts.dlq"


async def test_a_truncated_dead_letter_carries_the_documented_headers_and_summary() -> None:
    letter = await _dead_lettered(b"x" * (DEAD_LETTER_MAX_BYTES + 1))
    schema = _documented("TruncatedDeadLetterHeaders")
    assert set(letter["headers"]) == set(schema["properties"]) == set(schema["required"])
    for name, header in schema["properties"].items():
        if "const" in header:
            assert letter["headers"][name] == header["const"], name
    summary = _documented("TruncatedDeadLetterSummary")
    assert set(json.loads(letter["value"])) == set(summary["required"])
