"""The dead-letter topics as a contract: what a record there carries and how to read it.

A dead letter is the original record (value, key and headers, ``content-type`` included, so a
CloudEvents SDK reads it as it read the original) plus ``x-rapport-*`` headers naming the reason
and where it came from. A value too large for the dead-letter topic is replaced by a small JSON
summary sent as a binary-mode CloudEvent of its own (``ce_*`` headers). The kit writes both
(rapport_kit.consuming / subscription / truncation); a kit test holds the names here to it.
A record read from a personal topic is never copied: its dead letter has an empty value, no key
and none of its headers, only the ``x-rapport-*`` ones (``x-rapport-dlq-withheld: personal``).
"""

from __future__ import annotations

from typing import Any

REASON = "x-rapport-dlq-reason"
DETAIL = "x-rapport-dlq-detail"
CONSUMER = "x-rapport-dlq-consumer"
ORIGINAL_TOPIC = "x-rapport-original-topic"
ORIGINAL_PARTITION = "x-rapport-original-partition"
ORIGINAL_OFFSET = "x-rapport-original-offset"
FAILED_AT = "x-rapport-failed-at"
TRUNCATED = "x-rapport-dlq-truncated"
ORIGINAL_CONTENT_TYPE = "x-rapport-original-content-type"
WITHHELD = "x-rapport-dlq-withheld"
WITHHELD_PERSONAL = "personal"
SUMMARY_TYPE = "rapport.dlq.truncated.v1"

CHANNEL_DESCRIPTION = (
    "Records the {service} service's consumers can never apply (undecodable, failing "
    "validation, or failing every retry), in the order they failed. Replay them with "
    "`rapport-ops dlq-replay` after a fix."
)
MESSAGES = ("DeadLetter", "TruncatedDeadLetter", "WithheldDeadLetter")

_DIAGNOSIS = {
    REASON: "Why: invalid_json, too_deep, too_large, invalid_envelope, unknown_type, "
    "schema_violation, key_mismatch, handler_error, or a handler's own reason.",
    DETAIL: "The failing fields or error type (never a value: it may be personal data).",
    CONSUMER: "The consumer (in the service's group) that gave up.",
    ORIGINAL_TOPIC: "Where the record was read.",
    ORIGINAL_PARTITION: "Its partition there (decimal).",
    ORIGINAL_OFFSET: "Its offset there (decimal).",
    FAILED_AT: "When it was dead-lettered (ISO 8601, UTC).",
}


def schemas() -> dict[str, Any]:
    return {
        "DeadLetterHeaders": _headers(
            "DeadLetterHeaders",
            {
                "content-type": _text(
                    "The original record's, unchanged (application/octet-stream if it had none)."
                ),
                **{name: _text(text) for name, text in _DIAGNOSIS.items()},
            },
            additional="The original record's other headers (traceparent, ce_* …), unchanged.",
        ),
        "TruncatedDeadLetterHeaders": _headers(
            "TruncatedDeadLetterHeaders",
            {
                "content-type": {"type": "string", "const": "application/json"},
                TRUNCATED: {"type": "string", "const": "true"},
                ORIGINAL_CONTENT_TYPE: _text("The original record's content type."),
                "ce_specversion": {"type": "string", "const": "1.0"},
                "ce_id": _text("consumer:topic/partition/offset: one id however often written."),
                "ce_source": _text("/rapport/<service>"),
                "ce_type": {"type": "string", "const": SUMMARY_TYPE},
                **{name: _text(text) for name, text in _DIAGNOSIS.items()},
            },
            additional="The original record's other headers, less its ce_* attributes.",
        ),
        "TruncatedDeadLetterSummary": _summary_schema(),
        "WithheldDeadLetterHeaders": _headers(
            "WithheldDeadLetterHeaders",
            {
                "content-type": {"type": "string", "const": "application/octet-stream"},
                WITHHELD: {"type": "string", "const": WITHHELD_PERSONAL},
                **{name: _text(text) for name, text in _DIAGNOSIS.items()},
            },
            additional="None: the original record's headers are not copied.",
        ),
    }


def messages() -> dict[str, Any]:
    return {
        "DeadLetter": {
            "name": "DeadLetter",
            "title": "DeadLetter",
            "summary": "The original record, unchanged, with the reason in headers.",
            "description": "Value, key and headers as they were on the original topic (read it "
            "with the original's content type: usually a structured CloudEvent of that topic, "
            "but any bytes the broker accepted), plus the x-rapport-* headers.",
            "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
            "payload": {"description": "The original record's value, byte for byte."},
            "bindings": _key_binding(),
        },
        "TruncatedDeadLetter": {
            "name": SUMMARY_TYPE,
            "title": "TruncatedDeadLetter",
            "summary": "A summary standing for a value too large for the dead-letter topic.",
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/TruncatedDeadLetterHeaders"},
            "payload": {"$ref": "#/components/schemas/TruncatedDeadLetterSummary"},
            "bindings": _key_binding(),
        },
        "WithheldDeadLetter": {
            "name": "WithheldDeadLetter",
            "title": "WithheldDeadLetter",
            "summary": "A record of a personal topic that failed: where and why, nothing of it.",
            "description": "Its value, key and headers may hold personal data and are not "
            "copied; read the record at its coordinates while it exists. Not replayable.",
            "headers": {"$ref": "#/components/schemas/WithheldDeadLetterHeaders"},
            "payload": {"description": "Empty.", "type": "string", "maxLength": 0},
            "bindings": {
                "kafka": {
                    "key": {"type": "null", "description": "None: the key is not copied either."},
                    "bindingVersion": "0.5.0",
                }
            },
        },
    }


def _key_binding() -> dict[str, Any]:
    return {
        "kafka": {
            "key": {
                "type": "string",
                "description": "The original key (sha256:<hex> when longer than 1 KiB).",
            },
            "bindingVersion": "0.5.0",
        }
    }


def _summary_schema() -> dict[str, Any]:
    return {
        "title": "TruncatedDeadLetterSummary",
        "type": "object",
        "properties": {
            "truncated": {"type": "boolean", "description": "Always true."},
            "reason": _text("The same reason as the header."),
            "original": {
                "type": "object",
                "properties": {
                    "topic": {"type": "string"},
                    "partition": {"type": "integer"},
                    "offset": {"type": "integer"},
                },
                "required": ["topic", "partition", "offset"],
            },
            "size": {"type": "integer", "description": "The original value's size in bytes."},
            "sha256": _text("Hex SHA-256 of the original value."),
            "head_base64": _text("Its first 4 KiB, base64."),
        },
        "required": ["truncated", "reason", "original", "size", "sha256", "head_base64"],
    }


def _headers(title: str, properties: dict[str, Any], *, additional: str) -> dict[str, Any]:
    return {
        "title": title,
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": {"type": "string", "description": additional},
    }


def _text(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}
