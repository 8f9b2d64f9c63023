"""A crash between the document write and the publish loses nothing and publishes once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from rapport_contacts.bootstrap import create_app
from rapport_schemas import decode
from rapport_schemas.contacts import ContactRegistered, InteractionLogged
from services.contacts.tests.integration.conftest import SettableClock
from tests.support.kafka import eventually, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration


class UnreachableBroker:
    """Stands for the process dying (or Kafka vanishing) right after the document write."""

    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise KafkaConnectionError("the relay was killed")


@pytest.mark.parametrize(
    "domain_clock",
    [
        None,
        # Domain time moved into the past, as the SLA tests do: the outbox is still swept (the
        # sweeper once measured its grace period on this clock, the writer on the wall clock).
        SettableClock(datetime(2026, 5, 20, 15, 0, 1, tzinfo=UTC)),
    ],
    ids=["wall clock", "domain clock in the past"],
)
async def test_an_event_written_but_never_relayed_is_published_exactly_once_after_restart(
    settings, infra, contacts_topic, profile, mongo_db, domain_clock
) -> None:
    clocked = {"clock": domain_clock} if domain_clock else {}
    crashed = create_app(settings, **clocked)
    async with serving(crashed) as client:
        crashed.state.outbox.broker = UnreachableBroker()  # both the writer and the sweeper
        registered = await client.post("/contacts", json={"profile": profile()})
        assert registered.status_code == 201, registered.text
        contact_id = registered.json()["contact_id"]
        pending = await mongo_db["contacts"].find_one({"_id": contact_id})
        # The registration and its personal record, both waiting.
        assert pending["outbox_pending"] is True and len(pending["outbox"]) == 2

    async def outbox_drained() -> bool:
        document = await mongo_db["contacts"].find_one({"_id": contact_id})
        return document["outbox"] == [] and document["outbox_pending"] is False

    async with serving(create_app(settings, **clocked)) as client:
        await eventually(outbox_drained)  # the new instance's sweeper published it
        sentinel = await client.post(
            f"/contacts/{contact_id}/interactions",
            json={"channel": "web", "direction": "inbound", "kind": "inquiry"},
        )
        assert sentinel.status_code == 201

    # Same key, same partition: anything published before the sentinel is read before it.
    records = await read_until(
        infra.kafka_bootstrap,
        contacts_topic,
        lambda rs: any(isinstance(decode(r.value).data, InteractionLogged) for r in rs),
    )
    events = [decode(r.value) for r in records]
    assert [type(e.data) for e in events] == [ContactRegistered, InteractionLogged]
    assert events[0].subject == contact_id
