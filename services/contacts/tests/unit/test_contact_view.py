"""The 360° view projection folds every service's events (pure, through the kit's fold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from rapport_contacts.views.contact_view import ContactView
from rapport_kit.projection import Document, ProjectedEvent, fold
from rapport_schemas import EventData, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    CaseResolved,
    ContactErased,
    ContactProfile,
    ContactRegisteredV1,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLoggedV1,
    PurchaseRecorded,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from rapport_schemas.notifications import NotificationSent
from services.contacts.tests.unit.fakes import timeline_of

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
offsets = count()
PROFILE = ContactProfile(
    name="Kovács Eszter",
    language="hu-HU",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
)


def received(data: EventData, topic: str = "contacts") -> ProjectedEvent:
    event = wrap(data, source="/test")
    offset = next(offsets)
    return ProjectedEvent(event, topic, 0, offset)


def apply(
    events: list[ProjectedEvent], loaded: dict[str, Document] | None = None
) -> dict[str, Document]:
    return {
        **(loaded or {}),
        **fold(ContactView(timeline_month_limit=5, list_limit=3), loaded or {}, events).changed,
    }


def registered(contact_id: str) -> ProjectedEvent:
    return received(ContactRegisteredV1(contact_id=contact_id, profile=PROFILE, registered_at=T0))


def purchase(contact_id: str, n: int, amount: str, currency: str) -> ProjectedEvent:
    return received(
        PurchaseRecorded(
            purchase_id=f"p{contact_id}{n}",
            contact_id=contact_id,
            amount=Decimal(amount),
            currency=currency,
            occurred_at=T0 + timedelta(hours=n),
        )
    )


def complaint(contact_id: str, case_id: str) -> ProjectedEvent:
    return received(
        InteractionLoggedV1(
            interaction_id=f"i{contact_id}",
            contact_id=contact_id,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            kind=InteractionKind.COMPLAINT,
            occurred_at=T0,
            case_id=case_id,
            summary="The parcel arrived broken",
        )
    )


def answered(contact_id: str, kind: SurveyKind, score: int, hours: int) -> ProjectedEvent:
    data = SurveyAnswered(
        survey_id=f"s{hours}",
        contact_id=contact_id,
        kind=kind,
        score=score,
        answered_at=T0 + timedelta(hours=hours),
    )
    return received(data, "feedback")


def sent(contact_id: str) -> ProjectedEvent:
    data = NotificationSent(
        notification_id="n1",
        contact_id=contact_id,
        template="welcome",
        channel=Channel.EMAIL,
        locale="hu",
        transactional=True,
        trigger_event_id="x",
        sent_at=T0,
    )
    return received(data, "notifications")


async def test_profile_timeline_purchases_scores_cases_and_notifications() -> None:
    views = apply(
        [
            registered("a"),
            complaint("a", "case-1"),
            purchase("a", 1, "10.10", "HUF"),
            purchase("a", 2, "0.20", "HUF"),
            purchase("a", 3, "5", "EUR"),
            answered("a", SurveyKind.NPS, 3, 1),
            answered("a", SurveyKind.NPS, 9, 5),
            answered("a", SurveyKind.NPS, 0, 2),  # older answer arriving late does not win
            sent("a"),
        ]
    )
    view = views["a"]
    assert view["profile"]["name"] == "Kovács Eszter" and view["status"] == "active"
    assert view["lifetime_value"] == {"HUF": "10.30", "EUR": "5"}
    assert view["purchase_count"] == 3
    assert view["latest_scores"]["nps"]["score"] == 9
    assert [c["case_id"] for c in view["open_cases"]] == ["case-1"]
    assert [c["interaction_id"] for c in view["open_complaints"]] == ["ia"]
    assert view["notifications_sent"] == 1
    times = [item["at"] for item in await timeline_of(views, "a")]
    assert times == sorted(times, reverse=True) and len(times) == 5  # a month keeps its newest 5


def test_resolving_a_case_closes_its_complaints() -> None:
    views = apply([registered("a"), complaint("a", "case-1")])
    resolved = CaseResolved(
        case_id="case-1",
        contact_id="a",
        channel=Channel.PHONE,
        opened_at=T0,
        resolved_at=T0 + timedelta(hours=1),
        first_contact=True,
        interaction_count=1,
    )
    view = apply([received(resolved)], views)["a"]
    assert view["open_cases"] == [] and view["open_complaints"] == []


def test_a_merge_gives_the_survivor_the_history_once_and_keeps_the_absorbed_data() -> None:
    views = apply(
        [
            registered("s"),
            purchase("s", 1, "1", "HUF"),
            registered("d"),
            purchase("d", 2, "2", "HUF"),
        ]
    )
    merge = received(ContactsMerged(contact_id="d", survivor_id="s", merged_at=T0))
    merged = apply([merge], views)
    assert merged["s"]["lifetime_value"] == {"HUF": "3"} and merged["s"]["merged_from"] == ["d"]
    assert merged["d"]["merged_into"] == "s" and merged["d"]["purchase_count"] == 1
    assert apply([merge], merged) == merged  # redelivered: folded once


def test_erasure_leaves_only_the_proof_and_ignores_later_events() -> None:
    views = apply([registered("a"), complaint("a", "c")])
    erased = apply([received(ContactErased(contact_id="a", erased_at=T0)), sent("a")], views)
    [page] = views["a"]["timeline_pages"]
    assert {k: v for k, v in erased["a"].items() if not k.startswith("_")} == {
        "contact_id": "a",
        "status": "erased",
        "erased_at": T0,
        "erased_pages": [page],  # for the sweep to delete
    }
