"""Seen event ids are pruned by age; until then a republished duplicate is recognised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.projection_store import SeenEvents
from tests.support.events import interaction, received

pytestmark = pytest.mark.integration


async def test_sightings_are_forgotten_only_once_older_than_the_cutoff(
    mongo_db: AsyncDatabase[dict[str, Any]],
) -> None:
    seen = SeenEvents(mongo_db, "pruned")
    first = received(interaction("c1"), offset=1, event_id="e1")
    assert await seen.first_sightings([first]) == [first]
    republished = received(interaction("c1"), offset=7, event_id="e1")

    assert await seen.forget_before(datetime.now(UTC) - timedelta(hours=1)) == 0
    assert await seen.first_sightings([republished]) == []

    assert await seen.forget_before(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await mongo_db["_seen_pruned"].count_documents({}) == 0
