"""The 360° timeline has no cap: month pages folded beside the view, read newest first with an
opaque cursor, over merges and erasure; over HTTP a bad cursor is 422 naming it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
import pytest
from fastapi import FastAPI

from rapport_contacts.entrypoints import activity, errors
from rapport_contacts.service_layer import reading
from rapport_contacts.views.contact_view import ContactView
from rapport_kit.projection import Document, ProjectedEvent, fold
from rapport_schemas import EventData, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
)
from services.contacts.tests.unit.fakes import FakeContactViews, timeline_of

T0 = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ayşe Yılmaz", language="tr-TR", time_zone="Europe/Istanbul", country="TR", currency="TRY"
)
offsets = count()


def received(data: EventData, event_id: str | None = None) -> ProjectedEvent:
    return ProjectedEvent(wrap(data, source="/test", event_id=event_id), "c", 0, next(offsets))


def call(contact_id: str, n: int, at: datetime) -> ProjectedEvent:
    logged = InteractionLogged(
        interaction_id=f"i{contact_id}{n}",
        contact_id=contact_id,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        kind=InteractionKind.SUPPORT,
        occurred_at=at,
    )
    return received(logged, event_id=f"e-{contact_id}-{n:04d}")


def registered(contact_id: str) -> ProjectedEvent:
    return received(ContactRegistered(contact_id=contact_id, profile=PROFILE, registered_at=T0))


def folded(
    events: list[ProjectedEvent], views: dict[str, Document] | None = None
) -> dict[str, Document]:
    return {**(views or {}), **fold(ContactView(), views or {}, events).changed}


async def test_every_item_is_read_once_page_by_page_newest_first_beyond_200() -> None:
    # 450 calls over three UTC months, three of them at the very same instant (ties by id)
    times = [T0 + timedelta(hours=4 * n, minutes=n % 4) for n in range(447)] + [T0] * 3
    views = folded([registered("a"), *(call("a", n, at) for n, at in enumerate(times))])
    reader = FakeContactViews(views)

    seen, cursor, pages = [], None, 0
    while True:
        page = await reading.read_view(reader, "a", limit=200, cursor=cursor)
        assert page is not None
        seen.extend(page.timeline)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert pages == 3
    assert len(seen) == 451 and len({i["event_id"] for i in seen}) == 451
    positions = [(i["at"], i["event_id"]) for i in seen]
    assert positions == sorted(positions, reverse=True)
    assert len(views["a"]["timeline_pages"]) == 3  # one page per UTC month


async def test_months_follow_utc_whatever_offset_an_event_gives() -> None:
    earlier = datetime.fromisoformat("2026-06-01T01:30:00+03:00")  # 31 May, 22:30 UTC
    later = datetime.fromisoformat("2026-05-31T23:00:00+00:00")
    views = folded([registered("a"), call("a", 1, later), call("a", 2, earlier)])

    assert [i["event_id"] for i in await timeline_of(views, "a")][:2] == ["e-a-0001", "e-a-0002"]
    assert [p.split("~")[1] for p in views["a"]["timeline_pages"]] == ["2026-05"]


async def test_a_survivor_reads_the_absorbed_history_and_erasure_lists_its_pages() -> None:
    views = folded(
        [registered("s"), call("s", 1, T0), registered("d"), call("d", 1, T0 + timedelta(days=40))]
    )
    merge = received(ContactsMerged(contact_id="d", survivor_id="s", merged_at=T0))
    views = folded([merge], views)
    survivor = [i["event_id"] for i in await timeline_of(views, "s")]
    assert {"e-s-0001", "e-d-0001"} <= set(survivor)

    pages = views["s"]["timeline_pages"]
    erased = folded([received(ContactErased(contact_id="s", erased_at=T0))], views)
    assert erased["s"]["erased_pages"] == pages
    late = folded([call("s", 2, T0)], erased)
    assert late[f"s~{T0:%Y-%m}"]["items"] == []  # a late event empties its page


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    views = folded([registered("a"), *(call("a", n, T0 + timedelta(minutes=n)) for n in range(5))])
    app = FastAPI()
    app.state.views = FakeContactViews(views)
    app.state.api_keys = {"k": ["*"]}
    app.include_router(activity.router)
    errors.install(app)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer k"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def test_over_http_the_view_pages_its_timeline_with_the_cursor_it_gives(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.get("/contacts/a/view", params={"limit": 4})).json()
    rest = (
        await client.get(
            "/contacts/a/view", params={"limit": 4, "cursor": first["timeline_next_cursor"]}
        )
    ).json()

    ids = [i["event_id"] for i in first["timeline"] + rest["timeline"]]
    assert len(first["timeline"]) == 4 and rest["timeline_next_cursor"] is None
    assert len(ids) == len(set(ids)) == 6  # five calls and the registration
    assert ids[0] == "e-a-0004"


@pytest.mark.parametrize("cursor", ["nonsense", "eyJhdCI6IDF9", "e30"])
async def test_a_cursor_the_service_did_not_give_is_422_naming_it(
    client: httpx.AsyncClient, cursor: str
) -> None:
    response = await client.get("/contacts/a/view", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_an_unknown_parameter_or_a_limit_out_of_range_is_422(
    client: httpx.AsyncClient,
) -> None:
    unknown = await client.get("/contacts/a/view", params={"page": 2})
    too_many = await client.get("/contacts/a/view", params={"limit": 201})
    assert unknown.json()["detail"][0]["loc"] == ["query", "page"]
    assert too_many.json()["detail"][0]["loc"] == ["query", "limit"]
