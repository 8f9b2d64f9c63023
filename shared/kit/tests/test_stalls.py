"""Lag without progress for the stall time is reported once; progress clears it."""

from __future__ import annotations

from aiokafka import TopicPartition

from rapport_kit.stalls import StallTracker


def test_a_partition_with_lag_and_no_progress_is_stalled_once_then_recovers() -> None:
    tracker = StallTracker(stall_after=30)
    partition = TopicPartition("t", 0)

    def seen(committed: int, end: int, now: float) -> bool:
        return tracker.observe("view", partition, committed=committed, end=end, now=now)

    assert not seen(5, 5, 0)  # no lag: never stalled
    assert not seen(5, 9, 10)
    assert not seen(5, 9, 39)
    assert seen(5, 9, 40)  # reported once ...
    assert not seen(5, 12, 80)  # ... not again while it lasts
    assert tracker.stalled("view") == [partition]
    assert not seen(6, 12, 81)  # progress clears it
    assert tracker.stalled("view") == []


def test_a_partition_moved_to_another_replica_no_longer_counts() -> None:
    tracker = StallTracker(stall_after=1)
    mine, moved = TopicPartition("t", 0), TopicPartition("t", 1)
    for now in (0, 5):
        tracker.observe("view", mine, committed=1, end=2, now=now)
        tracker.observe("view", moved, committed=1, end=2, now=now)
    assert tracker.longest_stall(now=9) == 9
    tracker.keep_only("view", frozenset({mine}))
    assert tracker.stalled("view") == [mine]
