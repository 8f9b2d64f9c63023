"""``rapport-ops dlq``: summarise a service's dead letters and replay them to their source.

Replays are dry runs unless ``--execute``. A replayed message carries the coordinates it was first
consumed at, so consumers accept it once even though its event id was already seen there. A dead
letter of a personal topic holds nothing of its record (``x-rapport-dlq-withheld``): it is counted
but never replayed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rapport_kit.admin import end_offsets
from rapport_kit.projection_store import (
    REPLAYED_FOR,
    REPLAYED_OFFSET,
    REPLAYED_PARTITION,
    REPLAYED_TOPIC,
)
from rapport_ops.connection import Target
from rapport_ops.kafka_io import Record, header_map, producer, read_topic, require_topics, total
from rapport_schemas import dead_letters as dead_letters_contract
from rapport_schemas import topics


@dataclass(frozen=True)
class ReplayFilter:
    reason: str | None = None
    original_topic: str | None = None

    def admits(self, headers: dict[str, str]) -> bool:
        reason_ok = self.reason is None or headers.get("x-rapport-dlq-reason") == self.reason
        topic = headers.get("x-rapport-original-topic")
        return reason_ok and (self.original_topic is None or topic == self.original_topic)


async def dead_letters(target: Target, dlq: str, selection: ReplayFilter) -> list[Record]:
    return [r async for r in read_topic(target, dlq) if selection.admits(header_map(r))]


def summary(letters: list[Record]) -> Table:
    counts = Counter(
        (h.get("x-rapport-original-topic", "?"), h.get("x-rapport-dlq-reason", "?"))
        for h in map(header_map, letters)
    )
    table = Table("original topic", "reason", "dead letters", title="Dead letters")
    for (topic, reason), count in sorted(counts.items()):
        table.add_row(topic, reason, f"{count:,}")
    return table


async def replay(
    target: Target,
    service: str,
    selection: ReplayFilter,
    console: Console,
    *,
    execute: bool,
) -> int:
    dlq = target.topic(topics.dead_letter_topic(service))
    await require_topics(target, [dlq])
    ends = await end_offsets(target.bootstrap, [dlq], security=target.security)
    console.print(f"{dlq}: {total(ends):,} messages")
    letters = await dead_letters(target, dlq, selection)
    console.print(summary(letters))
    withheld = [r for r in letters if dead_letters_contract.WITHHELD in header_map(r)]
    if withheld:
        console.print(f"{len(withheld)} of a personal topic: nothing to replay (value withheld)")
        letters = [r for r in letters if dead_letters_contract.WITHHELD not in header_map(r)]
    if not execute:
        console.print(f"dry run: {len(letters)} would be replayed; add --execute to replay them")
        return len(letters)
    async with producer(target) as client:
        with Progress(console=console) as progress:
            task = progress.add_task("replaying", total=len(letters))
            for letter in letters:
                await client.send_and_wait(
                    header_map(letter)["x-rapport-original-topic"],
                    letter.value,
                    key=letter.key,
                    headers=_replay_headers(letter),
                )
                progress.advance(task)
    console.print(f"replayed {len(letters)} dead letters")
    return len(letters)


def _replay_headers(letter: Record) -> list[tuple[str, bytes]]:
    headers = header_map(letter)
    return [
        (REPLAYED_TOPIC, headers["x-rapport-original-topic"].encode()),
        (REPLAYED_PARTITION, headers["x-rapport-original-partition"].encode()),
        (REPLAYED_OFFSET, headers["x-rapport-original-offset"].encode()),
        (REPLAYED_FOR, headers.get("x-rapport-dlq-consumer", "").encode()),
        ("content-type", b"application/cloudevents+json; charset=UTF-8"),
    ]
