"""What an idle test counts: the commands a client sends to each collection, and a monotonic clock
the test moves itself (the periodic rounds' schedule)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener, CommandStartedEvent


class Commands(CommandListener):
    """The commands sent, by name, per collection they name."""

    def __init__(self) -> None:
        self.sent: defaultdict[str, list[str]] = defaultdict(list)

    def to(self, collection: str) -> list[str]:
        return self.sent.get(collection, [])

    def started(self, event: CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if isinstance(collection, str):
            self.sent[collection].append(event.command_name)

    def clear(self) -> None:
        self.sent.clear()

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


def watched_client(mongo_url: str, commands: Commands) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(mongo_url, tz_aware=True, event_listeners=[commands])


@asynccontextmanager
async def watched_database(
    mongo_url: str, name: str, inert: dict[str, list[dict[str, Any]]]
) -> AsyncIterator[tuple[AsyncDatabase[dict[str, Any]], Commands]]:
    """Database ``name`` holding the ``inert`` documents per collection (what most of a quiet
    store holds), watched from then on; dropped afterwards."""
    commands = Commands()
    client = watched_client(mongo_url, commands)
    database = client[name]
    try:
        for collection, documents in inert.items():
            await database[collection].insert_many(documents)
        commands.clear()
        yield database, commands
    finally:
        await client.drop_database(name)
        await client.close()


class Monotonic:
    """A ``time.monotonic`` stand-in: ``now`` moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
