"""The contacts service's 360° view, document by document, against the replay."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from tests.faults.replay import Person, Replay

Document = dict[str, Any]


def _summary(people: list[Person], notified: Counter[str]) -> Document:
    """What a view holding these people's histories (a survivor and who it absorbed) shows."""
    money: dict[str, Decimal] = {}
    latest: dict[str, Any] = {}
    for person in people:
        for currency, amount in person.money.items():
            money[currency] = money.get(currency, Decimal(0)) + amount
        for answer in person.answers:
            kind = answer.kind.value
            if kind not in latest or latest[kind] <= answer.answered_at:
                latest[kind] = answer.answered_at
    return {
        "purchase_count": sum(p.purchases.total() for p in people),
        "lifetime_value": money,
        "latest_answered_at": latest,
        "open_complaints": set().union(*(p.open_complaints for p in people)),
        "notifications_sent": sum(notified[p.contact_id] for p in people),
    }


def _actual(view: Document) -> Document:
    return {
        "purchase_count": view["purchase_count"],
        "lifetime_value": {c: Decimal(v) for c, v in view["lifetime_value"].items()},
        "latest_answered_at": {k: a["answered_at"] for k, a in view["latest_scores"].items()},
        "open_complaints": {c["interaction_id"] for c in view["open_complaints"]},
        "notifications_sent": view["notifications_sent"],
    }


def expected_view(replay: Replay, contact_id: str, notified: Counter[str]) -> Document:
    if contact_id in replay.erased:
        return {"status": "erased", "erased_at": replay.erased[contact_id]}
    absorbed = [replay.people[a] for a, s in replay.merges.items() if s == contact_id]
    summary = _summary([replay.people[contact_id], *absorbed], notified)
    if contact_id in replay.merges:
        return {"status": "merged", "merged_into": replay.merges[contact_id]}
    return {"status": "active", "merged_into": None, **summary}


def actual_view(view: Document, expected: Document) -> Document:
    if view["status"] == "erased":
        hidden = ("_id", "_wm", "_v", "contact_id", "erased_pages")  # pages: left to the sweep
        return {k: v for k, v in view.items() if k not in hidden}
    actual = {"status": view["status"], "merged_into": view["merged_into"]}
    return actual if view["status"] == "merged" else {**actual, **_actual(view)}


async def check_views(db: AsyncDatabase[Document], replay: Replay, notified: Counter[str]) -> int:
    """``notified``: customer messages the notifications service recorded as sent, per contact
    (the expectation less the at-most-once losses, see ``check_mail``)."""
    # The views themselves, not their timeline's month pages (documents with a ``month``).
    views = {d["_id"]: d async for d in db["contact_views"].find({"month": {"$exists": False}})}
    assert set(views) == set(replay.people)
    for contact_id in replay.people:
        expected = expected_view(replay, contact_id, notified)
        assert actual_view(views[contact_id], expected) == expected, contact_id
    absorbed = [views[a] for a in replay.merges]
    for view in absorbed:  # the absorbed document keeps its own history
        assert _actual(view) == _summary([replay.people[view["_id"]]], notified), view["_id"]
    return len(views)
