"""A library that logs every reconnect attempt cannot flood the logs."""

import logging

from rapport_kit.logs import RepeatsSuppressed


def record(name: str, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, None, None)


def test_repeats_of_a_library_message_pass_once_per_window_and_report_the_dropped() -> None:
    now = [0.0]
    repeats = RepeatsSuppressed(window=10, clock=lambda: now[0])
    assert repeats.filter(record("aiokafka.conn", "Unable connect to node %s"))
    for second in range(1, 10):
        now[0] = second
        assert not repeats.filter(record("aiokafka.conn", "Unable connect to node %s"))
    assert repeats.filter(record("aiokafka.cluster", "Unable to update metadata"))
    now[0] = 10
    shown = record("aiokafka.conn", "Unable connect to node %s")
    assert repeats.filter(shown)
    assert shown.fields == {"repeats_suppressed": 9}  # type: ignore[attr-defined]


def test_our_own_messages_are_never_suppressed() -> None:
    repeats = RepeatsSuppressed(window=10, clock=lambda: 0.0)
    assert all(repeats.filter(record("rapport_kit.outbox", "outbox swept")) for _ in range(5))
