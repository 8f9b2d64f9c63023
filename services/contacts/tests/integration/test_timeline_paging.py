"""The 360° timeline on the real broker and MongoDB-wire server: 250 events, none capped, read
page by page with the cursor the service gives, newest first, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.produce import produce_all
from rapport_contacts.bootstrap import create_app
from rapport_schemas import wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind, InteractionLogged
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration
CALLS = 250


async def test_a_timeline_of_more_than_200_items_is_read_whole_page_by_page(
    settings, infra, contacts_topic, profile
) -> None:
    start = datetime.now(UTC) - timedelta(days=90)
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        calls = [
            InteractionLogged(
                interaction_id=f"call-{n:03d}",
                contact_id=contact_id,
                channel=Channel.PHONE,
                direction=Direction.OUTBOUND,
                kind=InteractionKind.SUPPORT,
                occurred_at=start + timedelta(hours=8 * n),  # over three months
            )
            for n in range(CALLS)
        ]
        messages = [
            (contact_id.encode(), wrap(c, source="/test").model_dump_json().encode()) for c in calls
        ]
        await produce_all(infra.kafka_bootstrap, contacts_topic, messages)

        async def all_folded() -> int:
            page = (await client.get(f"/contacts/{contact_id}/view", params={"limit": 1})).json()
            return len(page.get("timeline", [])) and await count(client, contact_id)

        await eventually(all_folded, expected=CALLS + 1, timeout=120)
        pages = await read_all(client, contact_id, limit=100)

    items = [item for page in pages for item in page]
    assert [len(page) for page in pages] == [100, 100, 51]
    assert len({i["event_id"] for i in items}) == CALLS + 1  # and the registration
    times = [i["at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert items[0]["type"] == "rapport.contacts.contact_registered.v2"  # registered today
    assert items[1]["details"]["interaction_id"] == f"call-{CALLS - 1:03d}"


async def read_all(client, contact_id: str, *, limit: int) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        view = (await client.get(f"/contacts/{contact_id}/view", params=params)).json()
        pages.append(view["timeline"])
        cursor = view["timeline_next_cursor"]
        if cursor is None:
            return pages


async def count(client, contact_id: str) -> int:  # type: ignore[no-untyped-def]
    return sum(len(page) for page in await read_all(client, contact_id, limit=200))
