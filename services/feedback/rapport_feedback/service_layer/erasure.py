"""Keeping an erasure's deadline on rapport.feedback.personal: its segments roll while needed.

Kafka compacts only closed segments and closes the active one only on an append older than
``segment.ms``: a comment's tombstone in a quiet partition would wait for the next record there,
without bound. While a comment tombstone is recent (queued within the erasure deadline), each
partition gets a roll tombstone every ``segment.ms``, so its dirty segment rolls and compaction
removes the comment (and later the tombstone) in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rapport_feedback.service_layer.ports import PersonalTopic, SurveyStore
from rapport_kit.clock import Clock


@dataclass
class SegmentRolls:
    surveys: SurveyStore
    topic: PersonalTopic
    clock: Clock
    deadline: timedelta

    async def roll_once(self) -> int:
        """Appends the roll tombstones if a comment was erased recently; returns how many."""
        last = await self.surveys.last_comment_erasure()
        if last is None or last < self.clock() - self.deadline:
            return 0
        return await self.topic.roll()
