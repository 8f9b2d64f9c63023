"""A dead letter that always fits its topic, whatever the size of the record it stands for.

The broker accepts records up to ``max.message.bytes`` (1 MiB by default) on the original topic;
a dead letter copying such a value plus its headers would be refused by the dead-letter topic, and
a refused dead letter used to fail (and redeliver) its batch forever. A value above the limit is
replaced by a small JSON document: why, where the full record still lives (until the original
topic's retention removes it), its SHA-256 and the first bytes, enough to recognise it.
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
