"""Wake-ups: one hint per document, the latest noted; a due hint stays until settled or
forgotten; a full scan's reset keeps what was noted while it ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_kit.wakeups import Wakeups

T0 = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)


class Monotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_later_note_replaces_the_earlier_one() -> None:
    wakeups = Wakeups()
    wakeups.note("d1", T0, "c1")
    wakeups.note("d1", T0 + timedelta(hours=1), "c1")
    assert wakeups.due(T0, limit=10) == []
    assert wakeups.due(T0 + timedelta(hours=1), limit=10) == [("d1", "c1")]


def test_a_due_hint_stays_until_forgotten_and_comes_earliest_first() -> None:
    wakeups = Wakeups()
    wakeups.note("late", T0 + timedelta(seconds=2))
    wakeups.note("early", T0)
    now = T0 + timedelta(seconds=5)
    assert wakeups.due(now, limit=10) == [("early", ""), ("late", "")]
    assert wakeups.due(now, limit=1) == [("early", "")]
    wakeups.forget("early")
    assert wakeups.due(now, limit=10) == [("late", "")]
    assert len(wakeups) == 1


def test_the_full_scan_is_due_at_start_then_once_per_interval() -> None:
    clock = Monotonic()
    wakeups = Wakeups(full_interval=timedelta(minutes=1), monotonic=clock)
    assert wakeups.full_scan_due()
    clock.now += 59
    assert not wakeups.full_scan_due()
    clock.now += 1
    assert wakeups.full_scan_due()


def test_a_reset_keeps_the_notes_written_while_the_scan_ran() -> None:
    wakeups = Wakeups()
    wakeups.note("stale", T0)
    mark = wakeups.mark()
    wakeups.note("during", T0 + timedelta(minutes=5))  # a write after the scan's read began
    wakeups.reset([("scanned", T0, ""), ("during", T0, "")], mark=mark)
    assert wakeups.due(T0 + timedelta(minutes=1), limit=10) == [("scanned", "")]
    assert wakeups.noted("during") == T0 + timedelta(minutes=5)
    assert wakeups.noted("stale") is None
