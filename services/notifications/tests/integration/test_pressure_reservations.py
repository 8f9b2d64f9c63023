"""The reservation document on the MongoDB-wire server: many reservations racing for one contact
from two clients (two replicas) take exactly the budget, or exactly a template's frequency cap,
never more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from rapport_notifications.adapters.pressure import PRESSURE, MongoPressureBudgets
from rapport_notifications.domain.pressure import Capped, Entry, PressureBudget, Spent, TemplateCap

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BUDGET = PressureBudget(
    limit=3,
    window=timedelta(days=7),
    caps={"purchase_thank_you": TemplateCap(limit=2, window=timedelta(hours=24))},
)
RACERS = 16


@pytest.fixture
async def replicas(infra: Any, namespace: str) -> AsyncIterator[list[MongoPressureBudgets]]:
    """Two independent clients on one database, as two instances of the service have."""
    clients: list[AsyncMongoClient[dict[str, Any]]] = [
        AsyncMongoClient(infra.mongo_url, tz_aware=True) for _ in range(2)
    ]
    yield [MongoPressureBudgets(client[namespace][PRESSURE], BUDGET) for client in clients]
    await clients[0].drop_database(namespace)
    for client in clients:
        await client.close()


async def test_racing_reservations_take_exactly_the_budget(
    replicas: list[MongoPressureBudgets],
) -> None:
    outcomes = await asyncio.gather(
        *(replicas[n % 2].reserve("c1", Entry(f"delivery-{n}", NOW)) for n in range(RACERS))
    )
    taken = [n for n, outcome in enumerate(outcomes) if outcome is None]
    assert len(taken) == BUDGET.limit
    assert all(o == Spent(free_at=NOW + BUDGET.window) for o in outcomes if o is not None)
    stored = await replicas[0].collection.find_one({"_id": "c1"})
    assert stored is not None
    assert sorted(e["key"] for e in stored["entries"]) == sorted(f"delivery-{n}" for n in taken)


async def test_a_released_entry_can_be_taken_again_and_old_entries_leave_the_window(
    replicas: list[MongoPressureBudgets],
) -> None:
    first, second = replicas
    for n in range(3):
        assert await first.reserve("c2", Entry(f"d{n}", NOW + timedelta(hours=n))) is None
    assert await second.reserve("c2", Entry("d3", NOW)) == Spent(free_at=NOW + BUDGET.window)
    assert await first.reserve("c2", Entry("d1", NOW)) is None  # a retry holds its entry already
    await second.release("c2", "d1")
    assert await second.reserve("c2", Entry("d3", NOW + timedelta(hours=1))) is None
    # A week after d0 it has left the window: room for one more.
    later = NOW + BUDGET.window + timedelta(seconds=1)
    assert await first.reserve("c2", Entry("d4", later)) is None
    assert await first.reserve("c2", Entry("d5", later)) == Spent(
        free_at=NOW + timedelta(hours=1) + BUDGET.window
    )


async def test_racing_sends_of_a_capped_template_take_exactly_the_cap(
    replicas: list[MongoPressureBudgets],
) -> None:
    """A transactional thank-you draws on no budget, so only the conditional write of its cap
    stands between 16 racing sends and the customer."""
    outcomes = await asyncio.gather(
        *(
            replicas[n % 2].reserve("c3", Entry(f"thanks-{n}", NOW, "purchase_thank_you", False))
            for n in range(RACERS)
        )
    )
    taken = [n for n, outcome in enumerate(outcomes) if outcome is None]
    print(f"capped template: {RACERS} reservations attempted, {len(taken)} taken")
    assert len(taken) == BUDGET.caps["purchase_thank_you"].limit
    assert all(o == Capped("purchase_thank_you") for o in outcomes if o is not None)
    stored = await replicas[0].collection.find_one({"_id": "c3"})
    assert stored is not None
    assert sorted(e["key"] for e in stored["entries"]) == sorted(f"thanks-{n}" for n in taken)
    # The cap's entries leave the budget whole, and a released one frees the cap again.
    assert await replicas[1].reserve("c3", Entry("invitation", NOW)) is None
    await replicas[0].release("c3", f"thanks-{taken[0]}")
    again = Entry("thanks-late", NOW + timedelta(hours=1), "purchase_thank_you", False)
    assert await replicas[1].reserve("c3", again) is None
