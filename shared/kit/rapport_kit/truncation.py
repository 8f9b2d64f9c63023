"""A dead letter that always fits its topic, whatever the size of the record it stands for.

The broker accepts records up to ``max.message.bytes`` (1 MiB by default) on the original topic;
a dead letter copying such a value plus its headers would be refused by the dead-letter topic, and
a refused dead letter used to fail (and redeliver) its batch forever. A value above the limit is
replaced by a small JSON document: why, where the full record still lives (until the original
topic's retention removes it), its SHA-256 and the first bytes, enough to recognise it.

A summary is not the original value, so it does not keep the original's ``content-type``: it is a
binary-mode CloudEvent of its own (``ce_*`` headers, ``content-type: application/json``), which a
CloudEvents SDK reads; the original's content type moves to ``x-rapport-original-content-type``.
Kafka protocol binding: https://github.com/cloudevents/spec/blob/main/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

import base64
import hashlib
import json

from aiokafka import ConsumerRecord

DEAD_LETTER_MAX_BYTES = 256 * 1024
HEAD_BYTES = 4 * 1024
MAX_KEY_BYTES = 1024
TRUNCATED_HEADER = "x-rapport-dlq-truncated"
SUMMARY_TYPE = "rapport.dlq.truncated.v1"
SUMMARY_CONTENT_TYPE = "application/json"


def stored_value(record: ConsumerRecord[bytes, bytes], reason: str, *, limit: int) -> bytes | None:
    """``None`` when the value fits; otherwise the summary to store in its place."""
    value = record.value or b""
    if len(value) <= limit:
        return None
    summary = {
        "truncated": True,
        "reason": reason,
        "original": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        "size": len(value),
        "sha256": hashlib.sha256(value).hexdigest(),
        "head_base64": base64.b64encode(value[:HEAD_BYTES]).decode("ascii"),
    }
    return json.dumps(summary).encode()


def stored_key(key: bytes | None) -> bytes | None:
    """A key too long for a header-sized field is replaced by its hash (never a size failure)."""
    if key is None or len(key) <= MAX_KEY_BYTES:
        return key
    return b"sha256:" + hashlib.sha256(key).hexdigest().encode()


def summary_headers(
    record: ConsumerRecord[bytes, bytes], original: dict[str, str], *, consumer: str, source: str
) -> dict[str, str]:
    """The original's headers less its content type and CloudEvents attributes, plus the summary's
    own; the id is the original's coordinates, so a dead letter written twice has one id."""
    kept = {k: v for k, v in original.items() if k != "content-type" and not k.startswith("ce_")}
    coordinates = f"{record.topic}/{record.partition}/{record.offset}"
    return kept | {
        "content-type": SUMMARY_CONTENT_TYPE,
        "x-rapport-original-content-type": original.get("content-type", ""),
        TRUNCATED_HEADER: "true",
        "ce_specversion": "1.0",
        "ce_id": f"{consumer}:{coordinates}",
        "ce_source": source,
        "ce_type": SUMMARY_TYPE,
    }
