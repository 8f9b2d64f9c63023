"""rapport-ops: the operator's command line for Rapport's Kafka topics and read models."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn

from rich.console import Console

from rapport_ops.connection import Target, settings_for
from rapport_ops.dead_letters import ReplayFilter, replay
from rapport_ops.failures import one_line
from rapport_ops.inspect_topics import show_topics
from rapport_ops.personal_data import audit_personal_data, read_values
from rapport_ops.personal_data_report import print_summary
from rapport_ops.rebuild import SERVICES, rebuild_read_model
from rapport_ops.tail import tail_topic

FOUND = 3  # exit status of an audit that found personal data


class Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (``--help`` says the rest), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="rapport-ops",
        description="Inspect topics, tail events, replay dead letters, rebuild read models, audit "
        "where personal data remains. "
        "Connects with the services' variables (RAPPORT_<SERVICE>_KAFKA_BOOTSTRAP, "
        "…_KAFKA_SECURITY_PROTOCOL, …_KAFKA_SASL_*, …_MONGO_URL; the service of the command, else "
        "$SERVICE, else unprefixed RAPPORT_…).",
    )
    parser.add_argument(
        "--bootstrap", help="Kafka bootstrap servers (default: the services' KAFKA_BOOTSTRAP)"
    )
    parser.add_argument(
        "--topic-prefix",
        help="namespace the services were configured with (default: their TOPIC_PREFIX)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("topics", help="list topics with their size and every consumer group's lag")
    _add_tail(commands)
    _add_dlq(commands)
    _add_audit(commands)
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
    tail.add_argument(
        "topic", help="e.g. rapport.contacts.events (the topic prefix is added when missing)"
    )
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


def _add_audit(commands: Any) -> None:
    audit = commands.add_parser("audit", help="audits of what topics and databases hold")
    kinds = audit.add_subparsers(dest="audit", required=True, metavar="AUDIT")
    personal = kinds.add_parser(
        "personal-data",
        help="count records and documents holding any of the values (never printed); exit "
        "status 3 when any is found",
    )
    personal.add_argument(
        "--value", action="append", default=[], help="a value to look for (repeatable)"
    )
    personal.add_argument(
        "--values-file",
        action="append",
        default=[],
        help="a file of values, one a line (keeps them out of the shell history)",
    )
    personal.add_argument(
        "--database-prefix",
        default="rapport_",
        help="audit every MongoDB database whose name starts so (default rapport_)",
    )
    personal.add_argument(
        "--json",
        action="store_true",
        help="print the findings as one JSON document on stdout (progress goes to stderr)",
    )


def main(argv: list[str] | None = None) -> int:
    # The clients' own error logs would repeat, in many lines, the one line printed below.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # an operator gets one line, not a traceback
        print(f"rapport-ops: error: {one_line(error)}", file=sys.stderr)
        return 1


async def run(argv: list[str] | None = None) -> int:
    """The CLI inside a running event loop (what ``main`` runs, and what tests call)."""
    args = build_parser().parse_args(argv)
    console = Console()
    settings = settings_for(getattr(args, "service", None))
    target = Target.of(settings, bootstrap=args.bootstrap, topic_prefix=args.topic_prefix)
    work: Coroutine[Any, Any, Any]
    if args.command == "topics":
        work = show_topics(target, console)
    elif args.command == "tail":
        work = tail_topic(
            target,
            args.topic,
            console,
            limit=args.limit,
            from_beginning=args.from_beginning,
            event_type=args.event_type,
            show_personal_data=args.show_personal_data,
        )
    elif args.command == "rebuild":
        work = rebuild_read_model(
            args.service,
            args.read_model,
            console,
            switch=args.switch,
            bootstrap=args.bootstrap,
            topic_prefix=args.topic_prefix,
        )
    elif args.command == "audit":
        return await _audit(target, args)
    else:
        selection = ReplayFilter(args.reason, args.original_topic)
        work = replay(target, args.service, selection, console, execute=args.execute)
    await work
    return 0


async def _audit(target: Target, args: argparse.Namespace) -> int:
    needles = read_values(args.value, args.values_file)
    console = Console(stderr=True) if args.json else Console()
    audit = await audit_personal_data(
        target, needles, console, database_prefix=args.database_prefix
    )
    if args.json:
        print(json.dumps(audit.as_json(), indent=2))
    else:
        print_summary(audit, console)
    return FOUND if audit.hits else 0


if __name__ == "__main__":
    sys.exit(main())
