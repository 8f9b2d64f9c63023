"""The customer's inbox: tokens open one contact's inbox only, marks change one message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport_kit.signed_links import PREFERENCES, ExpiredLink, InvalidLink, LinkClaims, sign_link
from rapport_notifications.service_layer.customer_inbox import CustomerInbox, UnknownMessage
from services.notifications.tests.unit.fakes import FakeInbox
from services.notifications.tests.unit.samples import NOW

KEYS = [b"k" * 32]


def inbox(store: FakeInbox, now: object = NOW) -> CustomerInbox:
    return CustomerInbox(store, KEYS, timedelta(days=30), lambda: now)  # type: ignore[arg-type,return-value]


def message(notification_id: str) -> dict[str, object]:
    return {"_id": notification_id, "contact_id": "c1", "read": False, "archived": False}


def test_a_token_opens_its_contact_until_it_expires() -> None:
    issued = inbox(FakeInbox()).issue("c1")
    assert issued.expires_at == NOW + timedelta(days=30)
    assert inbox(FakeInbox()).contact_of(issued.token) == "c1"
    with pytest.raises(ExpiredLink):
        inbox(FakeInbox(), NOW + timedelta(days=31)).contact_of(issued.token)


def test_an_api_key_or_another_links_token_is_no_inbox_token() -> None:
    other = sign_link(LinkClaims(PREFERENCES, "c1", NOW + timedelta(days=1)), KEYS[0])
    for token in ("test-key", other):
        with pytest.raises(InvalidLink):
            inbox(FakeInbox()).contact_of(token)


async def test_marks_count_and_archive() -> None:
    store = FakeInbox()
    store.stored["c1"] = [message("n1"), message("n2"), message("n3")]
    customer = inbox(store)
    assert await customer.unread("c1") == 3
    read = await customer.mark("c1", "n1", read=True, archived=None)
    assert (read["read"], read["read_at"]) == (True, NOW)
    await customer.mark("c1", "n2", read=None, archived=True)
    assert await customer.unread("c1") == 1
    assert [m["_id"] for m in await customer.messages("c1", archived=False)] == ["n3", "n1"]
    unread = await customer.mark("c1", "n1", read=False, archived=None)
    assert (unread["read"], unread["read_at"]) == (False, None)
    with pytest.raises(UnknownMessage):
        await customer.mark("c2", "n3", read=True, archived=None)  # another contact's
