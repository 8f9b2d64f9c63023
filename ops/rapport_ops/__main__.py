"""rapport-ops: the operator's command line for Rapport's Kafka topics and read models."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine
from typing import Any

from rich.console import Console

from rapport_ops.dead_letters import ReplayFilter, replay
from rapport_ops.inspect_topics import show_topics
from rapport_ops.rebuild import rebuild_read_model
from rapport_ops.tail import tail_topic

SERVICES = ("contacts", "feedback", "notifications", "metrics")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport-ops",
        description="Inspect topics, tail events, replay dead letters, rebuild read models.",
    )
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("RAPPORT_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (env RAPPORT_KAFKA_BOOTSTRAP; default %(default)s)",
    )
    parser.add_argument(
        "--topic-prefix",
        default=os.environ.get("RAPPORT_TOPIC_PREFIX", ""),
        help="namespace the services were configured with (env RAPPORT_TOPIC_PREFIX)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("topics", help="list topics with their size and every consumer group's lag")
    _add_tail(commands)
    _add_dlq(commands)
    rebuild = commands.add_parser("rebuild", help="rebuild a read model from the event log")
    rebuild.add_argument("service", choices=SERVICES)
    rebuild.add_argument(
        "read_model", help="e.g. view (contacts), views (feedback), kpis (metrics)"
    )
    rebuild.add_argument(
        "--switch", action="store_true", help="replace the live collections (default: build beside)"
    )
    return parser


def _add_tail(commands: Any) -> None:
    tail = commands.add_parser("tail", help="print a topic's events (personal data redacted)")
    tail.add_argument("topic", help="full topic name, e.g. rapport.contacts.events")
    tail.add_argument(
        "-n", "--limit", type=int, default=20, help="stop after N events (default 20)"
    )
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest event")
    tail.add_argument("--type", dest="event_type", help="only this CloudEvents type")
    tail.add_argument("--show-personal-data", action="store_true", help="do not redact")


def _add_dlq(commands: Any) -> None:
    dlq = commands.add_parser("dlq-replay", help="replay a service's dead letters to their source")
    dlq.add_argument("service", choices=SERVICES)
    dlq.add_argument("--reason", help="only dead letters with this reason")
    dlq.add_argument("--original-topic", help="only dead letters that came from this topic")
    dlq.add_argument("--execute", action="store_true", help="really replay (default: dry run)")


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run(argv))


async def run(argv: list[str] | None = None) -> int:
    """The CLI inside a running event loop (what ``main`` runs, and what tests call)."""
    args = build_parser().parse_args(argv)
    console = Console()
    work: Coroutine[Any, Any, Any]
    if args.command == "topics":
        work = show_topics(args.bootstrap, console)
    elif args.command == "tail":
        work = tail_topic(
            args.bootstrap,
            args.topic,
            console,
            limit=args.limit,
            from_beginning=args.from_beginning,
            event_type=args.event_type,
            show_personal_data=args.show_personal_data,
        )
    elif args.command == "rebuild":
        work = rebuild_read_model(args.service, args.read_model, console, switch=args.switch)
    else:
        selection = ReplayFilter(args.reason, args.original_topic)
        work = replay(
            args.bootstrap,
            args.service,
            args.topic_prefix,
            selection,
            console,
            execute=args.execute,
        )
    await work
    return 0


if __name__ == "__main__":
    sys.exit(main())
