"""/metrics shows an outbox entry Kafka never acknowledged (backlog 1, an age that grows) until
the sweeper publishes it (backlog 0, age 0), measured from the sweeper's own scan."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from prometheus_client.parser import text_string_to_metric_families

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode
from rapport_schemas.contacts import ContactRegistered
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

LABELS = {"service": "contacts", "collection": "contacts"}


class UnreachableBroker:
    """Kafka away: every send the outbox queues fails."""

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise KafkaConnectionError("kafka is away")


async def outbox_gauges(client: httpx.AsyncClient) -> tuple[float, float]:
    """(pending entries, oldest entry's age in seconds) as a Prometheus scrape reads them."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if family.name.startswith("rapport_outbox_") and sample.labels == LABELS
    }
    return (
        samples.get("rapport_outbox_pending_entries", -1.0),
        samples.get("rapport_outbox_oldest_entry_age_seconds", -1.0),
    )


async def test_an_unpublished_entry_shows_in_the_gauges_until_the_sweep(
    settings, infra, contacts_topic, profile
) -> None:
    app = create_app(settings)
    async with serving(app) as client:
        working_broker = app.state.outbox.broker
        app.state.outbox.broker = UnreachableBroker()  # the writer's publish and the sweeps fail
        registered = await client.post("/contacts", json={"profile": profile()})
        assert registered.status_code == 201, registered.text

        async def backlog_seen() -> bool:  # the registration and its personal record
            return (await outbox_gauges(client))[0] == 2

        await eventually(backlog_seen)
        pending, first_age = await outbox_gauges(client)
        await asyncio.sleep(1.0)
        still_pending, later_age = await outbox_gauges(client)
        print(f"\noutbox gauges while Kafka refuses: pending {pending:.0f}, age {first_age:.2f} s")
        print(f"one second later: pending {still_pending:.0f}, age {later_age:.2f} s")
        assert still_pending == 2 and later_age >= first_age + 0.9

        app.state.outbox.broker = working_broker

        async def swept() -> bool:
            return await outbox_gauges(client) == (0, 0)

        await eventually(swept)
        print(f"after the sweep: pending, age = {await outbox_gauges(client)}")

    records = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 1)
    assert [type(decode(r.value).data) for r in records] == [ContactRegistered]
