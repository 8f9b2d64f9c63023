"""Idle, the event webhook relay's reads (expired leases, due deliveries) and the campaigns' due
query ask the store nothing, whatever the number of deliveries or campaigns: they follow the
wake-ups this process's writes noted and read those documents by ``_id``. Each collection is
scanned once, at start (FerretDB answers those filters by reading every document); the safety
sweep once a minute reads the small indexes ``open_webhook_deliveries`` / ``scheduled_campaigns``
and those documents by ``_id``, so what a crashed peer left is found there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport_kit.wakeups import FULL_SCAN_INTERVAL, Wakeups
from rapport_notifications.adapters.campaigns import MongoCampaigns
from rapport_notifications.adapters.webhook_deliveries import MongoWebhookDeliveries
from rapport_notifications.domain.campaigns import Campaign, CampaignRequest
from rapport_notifications.domain.webhook_delivery import DeliveryState, NewDelivery
from tests.support.commands import Commands, Monotonic, watched_database

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 18, 21, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
INERT = 3_000
SUBSCRIPTION = "s1"
DELIVERED = DeliveryState.DELIVERED.value


@pytest.fixture
async def database(infra: Any, namespace: str) -> AsyncIterator[tuple[Any, Commands]]:
    delivered = [
        {"_id": f"{SUBSCRIPTION}:e{n}", "subscription_id": SUBSCRIPTION, "state": DELIVERED}
        for n in range(INERT)
    ]
    launched = [{"_id": f"campaign-{n}", "state": "launched", "due_at": NOW} for n in range(INERT)]
    inert = {"webhook_deliveries": delivered, "campaigns": launched}
    async with watched_database(infra.mongo_url, namespace, inert) as watched:
        yield watched


def deliveries_of(db: Any, monotonic: Monotonic) -> MongoWebhookDeliveries:
    """One process's deliveries: its wake-ups on the shared collection."""
    return MongoWebhookDeliveries(db["webhook_deliveries"], Wakeups(monotonic=monotonic))


async def relay_round(deliveries: MongoWebhookDeliveries, now: datetime) -> list[str]:
    """What the relay's round reads (``WebhookRelay.deliver_due``)."""
    await deliveries.expire_leases(now)
    return [due.key for due in await deliveries.due([SUBSCRIPTION], now, limit=500)]


def event(n: int, contact_id: str = "c1") -> NewDelivery:
    return NewDelivery(SUBSCRIPTION, f"new-{n}", "rapport.test.v1", NOW, contact_id, f"{n:08d}")


async def test_idle_relay_rounds_send_no_command_and_the_safety_sweep_reads_only_the_index(
    database,
) -> None:
    db, commands = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, monotonic)
    assert await relay_round(deliveries, NOW) == []  # at start: the full scan
    assert (commands.to("webhook_deliveries"), commands.to("open_webhook_deliveries")) == (
        ["find"],
        [],
    )

    commands.clear()
    for second in range(1, 31):
        monotonic.now += 1
        assert await relay_round(deliveries, NOW + timedelta(seconds=second)) == []
    # 30 idle rounds among 3,000 deliveries: not one command.
    assert (commands.to("webhook_deliveries"), commands.to("open_webhook_deliveries")) == ([], [])

    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    await relay_round(deliveries, NOW + timedelta(minutes=2))
    # The safety sweep: the (empty) index, not the 3,000 delivered ones.
    assert (commands.to("webhook_deliveries"), commands.to("open_webhook_deliveries")) == (
        [],
        ["find"],
    )


async def test_a_retry_is_read_at_its_time_and_an_expired_lease_by_id(database) -> None:
    db, commands = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, monotonic)
    await relay_round(deliveries, NOW)  # the start scan
    await deliveries.add([event(1)], NOW)
    assert await relay_round(deliveries, NOW) == [event(1).key]
    claimed = await deliveries.claim(event(1).key, NOW, LEASE)
    assert claimed is not None
    retry_at = NOW + timedelta(seconds=30)
    assert await deliveries.settle(claimed, {"state": "pending", "next_attempt_at": retry_at})

    commands.clear()
    monotonic.now += 1
    assert await relay_round(deliveries, retry_at - timedelta(seconds=1)) == []
    assert commands.to("webhook_deliveries") == []  # waiting for the retry: nothing read

    monotonic.now += 1
    assert await relay_round(deliveries, retry_at) == [event(1).key]
    assert commands.to("webhook_deliveries") == ["find"]  # by _id
    claimed = await deliveries.claim(event(1).key, retry_at, LEASE)
    assert claimed is not None  # ... and its sender dies: the lease runs out

    commands.clear()
    monotonic.now += 1
    later = retry_at + LEASE + timedelta(seconds=1)
    assert await deliveries.expire_leases(later) == 1
    assert commands.to("webhook_deliveries") == ["find", "update"]  # by _id
    assert await relay_round(deliveries, later) == [event(1).key]  # due again at once


async def test_the_safety_sweep_finds_what_a_crashed_peer_left_and_forgets_finished_ones(
    database,
) -> None:
    """A peer stored one delivery and claimed another, then crashed; a third it delivered.
    The survivor's sweep reads the index by ``_id``: the stored one is due, the claimed one's
    lease expires, the delivered one leaves the index."""
    db, _ = database
    monotonic = Monotonic()
    survivor = deliveries_of(db, monotonic)
    await relay_round(survivor, NOW)  # started before the peer's writes
    crashed = deliveries_of(db, Monotonic())
    await crashed.add([event(1, "c1"), event(2, "c2"), event(3, "c3")], NOW)
    assert await crashed.claim(event(2).key, NOW, LEASE) is not None
    done = await crashed.claim(event(3).key, NOW, LEASE)
    assert done is not None
    assert await crashed.settle(done, {"state": DELIVERED, "delivered_at": NOW})
    assert await db["open_webhook_deliveries"].count_documents({}) == 2

    monotonic.now += 1
    assert await relay_round(survivor, NOW + timedelta(seconds=1)) == []  # no hint of its own
    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    after_lease = NOW + LEASE + timedelta(seconds=1)
    assert await survivor.expire_leases(after_lease) == 1  # the sweep, then the expired lease
    assert sorted(await relay_round(survivor, after_lease)) == [event(1).key, event(2).key]
    assert await db["open_webhook_deliveries"].count_documents({}) == 2


async def test_a_replay_reopens_deliveries_in_the_index_and_they_are_due_at_once(database) -> None:
    db, _ = database
    monotonic = Monotonic()
    deliveries = deliveries_of(db, monotonic)
    await deliveries.add([event(1)], NOW)
    claimed = await deliveries.claim(event(1).key, NOW, LEASE)
    assert claimed is not None
    assert await deliveries.settle(claimed, {"state": DELIVERED, "delivered_at": NOW})
    assert await db["open_webhook_deliveries"].count_documents({}) == 0

    later = NOW + timedelta(hours=1)
    assert await deliveries.replay(SUBSCRIPTION, NOW, later, later) == 1
    assert [d["_id"] async for d in db["open_webhook_deliveries"].find()] == [event(1).key]
    monotonic.now += 1
    assert await relay_round(deliveries, later) == [event(1).key]


def campaign(campaign_id: str, send_at: datetime) -> Campaign:
    request = CampaignRequest.model_validate(
        {
            "name": "Spring",
            "send_at": send_at.isoformat(),
            "messages": {"en": {"subject": "Hello", "body": "Spring is here."}},
        }
    )
    return Campaign(campaign_id=campaign_id, request=request, created_at=NOW)


async def test_idle_campaign_rounds_send_no_command_and_a_crashed_peers_campaign_is_found(
    database,
) -> None:
    db, commands = database
    monotonic = Monotonic()
    campaigns = MongoCampaigns(db["campaigns"], Wakeups(monotonic=monotonic))
    assert await campaigns.due(NOW) == []  # at start: the full scan
    assert commands.to("campaigns") == ["find"]
    spring = NOW + timedelta(seconds=10)
    await campaigns.add(campaign("mine", spring))
    await MongoCampaigns(db["campaigns"]).add(campaign("peer's", spring))  # then the peer died

    commands.clear()
    for second in range(1, 31):
        monotonic.now += 1
        due = await campaigns.due(NOW + timedelta(seconds=second))
        assert [c.campaign_id for c in due] == (["mine"] if second >= 10 else [])
    # Not a scan: "mine" read by _id each round from its time (it is never launched here).
    assert commands.to("campaigns") == ["find"] * 21

    await campaigns.launched("mine", spring)
    commands.clear()
    monotonic.now += FULL_SCAN_INTERVAL.total_seconds()
    due = await campaigns.due(NOW + timedelta(minutes=2))
    assert [c.campaign_id for c in due] == ["peer's"]
    # The safety sweep: the index and its one entry by _id, not the 3,000 launched campaigns.
    assert commands.to("scheduled_campaigns") == ["find"]
    assert commands.to("campaigns") == ["find", "find"]  # the entries' campaigns; the due one
