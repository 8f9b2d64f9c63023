"""Reading a Kafka record as a subscriber's CloudEvents SDK does (the official Python SDK)."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, from_structured
from cloudevents.core.formats.json import JSONFormat


class NotACloudEvent(Exception):
    """The record's headers say it is neither a structured nor a binary-mode CloudEvent."""


def read_cloudevent(record: ConsumerRecord[bytes, bytes]) -> BaseCloudEvent:
    """The mode is chosen by ``content-type`` first, as the Java and Go SDKs do (they refuse an
    empty one), although the Python SDK's own ``from_kafka`` only looks for ``ce_`` headers."""
    headers = {name: value or b"" for name, value in record.headers}
    message = KafkaMessage(headers=headers, key=record.key, value=record.value or b"")
    content_type = headers.get("content-type", b"").decode()
    if content_type.startswith("application/cloudevents"):
        return from_structured(message, JSONFormat())
    if "ce_specversion" in headers and content_type:
        return from_binary(message, JSONFormat())
    raise NotACloudEvent(f"content-type {content_type!r}")
