"""JSON logs carrying the current trace and span ids.

Personal data never goes to logs: code logs ids, counts and reasons, never payloads.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

from opentelemetry import trace


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
            entry["traceback"] = traceback_without_messages(record.exc_info[1])
        return json.dumps(entry, default=str)


def traceback_without_messages(error: BaseException) -> str:
    """Frames and exception types of ``error`` and the exceptions it came from, no messages.

    An exception's message may quote what it failed on (an e-mail address, a name): messages stay
    out of the logs like payloads do; the frames say where it failed. Oldest exception first, as
    Python prints them.
    """
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.format_list(traceback.extract_tb(current.__traceback__))
        kind = type(current)
        parts.append("".join(frames) + f"{kind.__module__}.{kind.__qualname__}\n")
        current = current.__cause__ or current.__context__
    return "then:\n".join(reversed(parts))


class RepeatsSuppressed(logging.Filter):
    """Lets one record per logger and message template of the ``libraries`` through per
    ``window`` seconds.

    While the broker is down aiokafka logs every reconnect attempt (measured: ~1,000 lines/s
    for minutes); the first line says it, the next one a window later says how many were dropped.
    """

    def __init__(
        self,
        libraries: tuple[str, ...] = ("aiokafka", "faststream"),
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.libraries = libraries
        self.window = window
        self.clock = clock
        self.last: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.libraries):
            return True
        key, now = (record.name, record.msg), self.clock()
        shown_at, dropped = self.last.get(key, (-self.window, 0))
        if now - shown_at < self.window:
            self.last[key] = (shown_at, dropped + 1)
            return False
        self.last[key] = (now, 0)
        if dropped:
            record.fields = {**getattr(record, "fields", {}), "repeats_suppressed": dropped}
        return True


def configure_logging(service: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(RepeatsSuppressed())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs each request's full URL at INFO: a subscriber's webhook URL can carry a token.
    for noisy in ("aiokafka", "pymongo", "uvicorn.access", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
