"""The 360° view and the export read v2 contacts' personal data from the personal topics: the
same result whichever topic is read first, tombstones erase their item, erasure is final."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from rapport_contacts.service_layer import reading
from rapport_contacts.views.contact_view import ContactView
from rapport_contacts.views.personal import PersonalPart
from rapport_contacts.views.personal_record import ContactRecord, combined
from rapport_kit.projection import Document, ProjectedEvent, Projection, fold
from rapport_schemas import topics
from services.contacts.tests.unit.fakes import FakeContactViews
from services.contacts.tests.unit.personal_samples import (
    COMMENT,
    SUMMARY,
    answered,
    comment,
    erased,
    interaction,
    personal_data,
    registered,
    registered_v1,
    summary,
    tombstone,
    v2_contact,
)


def folded(projection: Projection, *batches: list[ProjectedEvent]) -> dict[str, Document]:
    """Each batch folded in turn onto what the previous ones stored."""
    stored: dict[str, Document] = {}
    for batch in batches:
        stored = {**stored, **fold(projection, stored, batch).changed}
    return stored


async def view_of(*batches: list[ProjectedEvent], contact_id: str = "a") -> dict[str, Any]:
    """The view as ``GET /contacts/{id}/view`` reads it: the view joined with its part."""
    views = folded(ContactView(), *batches)
    parts = folded(PersonalPart(), *batches)
    page = await reading.read_view(FakeContactViews(views, parts), contact_id)
    assert page is not None
    return {**page.view, "timeline": page.timeline}


def exported(*batches: list[ProjectedEvent], contact_id: str = "a") -> Document:
    return combined([folded(ContactRecord(), *batches)[contact_id]])


def shown(view: dict[str, Any]) -> tuple[object, ...]:
    """What the personal records add to a view: the profile's, the timeline's and the score's."""
    by_type = {item["type"].split(".")[2]: item["details"] for item in view["timeline"]}
    profile = view["profile"] or {}
    return (
        profile.get("name"),
        profile.get("email"),
        profile.get("country"),
        by_type["interaction_logged"].get("summary"),
        by_type["survey_answered"].get("comment"),
        view["latest_scores"]["nps"]["comment"],
    )


WHOLE = ("Kovács Eszter", "eszter@example.hu", "HU", SUMMARY, COMMENT, COMMENT)


@pytest.mark.parametrize("personal_first", [False, True])
async def test_the_view_joins_profile_summary_and_comment_in_either_order(
    personal_first: bool,
) -> None:
    events, records = v2_contact()
    batches = (records, events) if personal_first else (events, records)
    view = await view_of(*batches)
    print(f"\nview, personal records {'first' if personal_first else 'last'}: {shown(view)}")
    assert shown(view) == WHOLE
    assert len(view["timeline"]) == 3  # the personal records are no timeline items


async def test_the_view_is_the_same_for_every_interleaving_of_the_two_topics() -> None:
    """Each topic is read in its order (one partition); a rebuild interleaves them anyhow."""
    events, records = v2_contact()
    results = set()
    for slots in combinations(range(6), 3):  # where the events go among the six reads
        pending_events, pending_records = iter(events), iter(records)
        merged = [next(pending_events if i in slots else pending_records) for i in range(6)]
        results.add(shown(await view_of(merged)))
    print(f"\nview over all 20 interleavings: {len(results)} distinct result(s): {results}")
    assert results == {WHOLE}


async def test_tombstones_take_their_item_out_of_the_view() -> None:
    events, records = v2_contact()
    gone = [
        tombstone("a"),
        tombstone("a:interaction:i1"),
        tombstone("a:survey:s1", topics.FEEDBACK_PERSONAL),
    ]
    view = await view_of(events, records, gone)
    print(f"\nview after the tombstones: {shown(view)}")
    assert shown(view) == (None, None, "HU", None, None, None)


async def test_a_profile_tombstone_also_hides_the_personal_fields_of_a_v1_history() -> None:
    view = await view_of([registered_v1()], [tombstone("a")])
    assert "name" not in view["profile"] and view["profile"]["country"] == "HU"


async def test_a_v1_history_still_shows_its_profile_and_a_newer_personal_record_wins() -> None:
    assert (await view_of([registered_v1()]))["profile"]["name"] == "Kovács Eszter"
    view = await view_of([registered_v1()], [personal_data(name="Kovács-Tóth Eszter", hours=3)])
    assert view["profile"]["name"] == "Kovács-Tóth Eszter"


async def test_an_older_profile_record_read_late_does_not_roll_the_name_back() -> None:
    newer, older = personal_data(name="Tóth Eszter", hours=5), personal_data(hours=1)
    view = await view_of([registered()], [newer], [older])
    assert view["profile"]["name"] == "Tóth Eszter"


async def test_an_erased_contact_gets_nothing_back_from_a_late_personal_record() -> None:
    events, records = v2_contact()
    parts = folded(PersonalPart(), [*events, erased()], records)
    assert {k: v for k, v in parts["a"].items() if not k.startswith("_")} == {
        "contact_id": "a",
        "status": "erased",
        "erased_at": erased().data.erased_at,  # type: ignore[attr-defined]
    }
    view = await view_of([*events, erased()], records)
    assert (view["status"], view.get("profile"), view["timeline"]) == ("erased", None, [])


def test_the_personal_records_are_never_folded_into_the_view_document() -> None:
    _, records = v2_contact()
    assert folded(ContactView(), records) == {}


def test_a_roll_tombstone_names_nobody() -> None:
    assert folded(PersonalPart(), [tombstone("_roll:0")]) == {}


def export_texts(record: Document) -> tuple[object, object]:
    [item] = record["interactions"]
    [answer] = record["survey_answers"]
    return item.get("summary"), answer.get("comment")


@pytest.mark.parametrize("personal_first", [False, True])
def test_the_export_joins_summaries_and_comments_in_either_order(personal_first: bool) -> None:
    events, records = v2_contact()
    record = exported(*((records, events) if personal_first else (events, records)))
    order = "first" if personal_first else "last"
    print(f"\nexport, personal records {order}: {export_texts(record)}")
    assert export_texts(record) == (SUMMARY, COMMENT)


def test_tombstones_take_their_item_out_of_the_export() -> None:
    events, records = v2_contact()
    gone = [tombstone("a:interaction:i1"), tombstone("a:survey:s1", topics.FEEDBACK_PERSONAL)]
    record = exported(events, records, gone)
    assert export_texts(record) == (None, None)
    assert record["interactions"][0]["interaction_id"] == "i1"  # the interaction itself stays


def test_an_erased_export_record_gets_nothing_back_from_a_late_personal_record() -> None:
    events, records = v2_contact()
    record = folded(ContactRecord(), [*events, erased()], records)["a"]
    assert set(record) - {"_id", "_wm", "_v"} == {"contact_id", "status", "erased_at"}


def test_a_survivor_exports_the_texts_of_the_contacts_merged_into_it() -> None:
    absorbed = folded(ContactRecord(), [interaction("b", "i9"), answered("b", "s9")])["b"]
    texts = folded(ContactRecord(), [summary("b", "i9"), comment("b", "s9")])["b"]
    survivor = folded(ContactRecord(), [registered("a")])["a"]
    whole = combined([survivor, {**absorbed, **{k: texts[k] for k in ("summaries", "comments")}}])
    assert export_texts(whole) == (SUMMARY, COMMENT)
