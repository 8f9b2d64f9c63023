"""``rapport-ops tail``: events of a topic, pretty-printed, personal data redacted by default."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from rapport_ops.connection import Target
from rapport_ops.kafka_io import header_map, read_topic

PERSONAL_FIELDS = frozenset({"name", "email", "phone", "comment", "summary", "company", "token"})


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "‹redacted›" if k in PERSONAL_FIELDS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


async def tail_topic(
    target: Target,
    topic: str,
    console: Console,
    *,
    limit: int,
    from_beginning: bool,
    event_type: str | None,
    show_personal_data: bool,
) -> int:
    shown = 0
    async for record in read_topic(
        target, target.topic(topic), from_beginning=from_beginning, follow=True
    ):
        try:
            event = json.loads(record.value or b"")
        except ValueError:
            event = {"undecodable": (record.value or b"")[:200].decode("utf-8", "replace")}
        if event_type and event.get("type") != event_type:
            continue
        console.rule(f"{record.topic}/{record.partition}@{record.offset}  key={record.key!r}")
        if headers := header_map(record):
            console.print(headers)
        console.print_json(data=event if show_personal_data else redact(event))
        shown += 1
        if shown >= limit:
            break
    return shown
