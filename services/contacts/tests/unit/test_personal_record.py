"""The export's record keeps every item once, follows merges and forgets an erased contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from rapport_contacts.views.personal_record import ContactRecord, combined
from rapport_kit.projection import Document, ProjectedEvent, fold
from rapport_schemas import EventData, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
)

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
offsets = count()
PROFILE = ContactProfile(
    name="Kovács Eszter",
    language="hu-HU",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
)
EMAIL_CONSENT = Consent(channel=Channel.EMAIL, granted=True, source="web", changed_at=T0)


def received(data: EventData) -> ProjectedEvent:
    return ProjectedEvent(wrap(data, source="/test"), "contacts", 0, next(offsets))


def apply(
    events: list[ProjectedEvent], loaded: dict[str, Document] | None = None
) -> dict[str, Document]:
    return {**(loaded or {}), **fold(ContactRecord(), loaded or {}, events).changed}


def registered(contact_id: str) -> ProjectedEvent:
    return received(
        ContactRegistered(
            contact_id=contact_id, profile=PROFILE, consents=(EMAIL_CONSENT,), registered_at=T0
        )
    )


def interaction(contact_id: str, n: int, case_id: str | None = None) -> ProjectedEvent:
    return received(
        InteractionLogged(
            interaction_id=f"i{n}",
            contact_id=contact_id,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            kind=InteractionKind.SUPPORT,
            occurred_at=T0 + timedelta(minutes=n),
            case_id=case_id,
            summary=f"call {n}",
        )
    )


def purchase(contact_id: str, n: int) -> ProjectedEvent:
    return received(
        PurchaseRecorded(
            purchase_id=f"p{n}",
            contact_id=contact_id,
            amount=Decimal("10"),
            currency="HUF",
            occurred_at=T0,
        )
    )


def test_each_item_is_kept_once_even_when_an_event_is_republished():
    withdrawn = Consent(
        channel=Channel.SMS, granted=False, source="call-centre", changed_at=T0 + timedelta(hours=1)
    )
    start = [registered("c1"), received(ContactConsentChanged(contact_id="c1", consent=withdrawn))]
    republished = interaction("c1", 1, case_id="k1")
    again = ProjectedEvent(republished.event, "contacts", 0, next(offsets))  # same id, new offset
    record = apply(
        [
            *start,
            republished,
            again,
            interaction("c1", 2, case_id="k1"),
            purchase("c1", 1),
            received(
                CaseResolved(
                    case_id="k1",
                    contact_id="c1",
                    channel=Channel.PHONE,
                    opened_at=T0,
                    resolved_at=T0 + timedelta(hours=2),
                    first_contact=False,
                    interaction_count=2,
                )
            ),
        ]
    )["c1"]
    assert [c["source"] for c in record["consent_history"]] == ["web", "call-centre"]
    assert [i["interaction_id"] for i in record["interactions"]] == ["i1", "i2"]
    [case] = record["cases"]
    assert case["interaction_ids"] == ["i1", "i2"] and case["first_contact"] is False
    assert case["resolved_at"] is not None
    assert [p["purchase_id"] for p in record["purchases"]] == ["p1"]


def test_the_survivor_takes_the_absorbed_items_and_the_absorbed_says_where_they_went():
    state = apply([registered("a"), registered("b"), purchase("a", 1), purchase("b", 2)])
    merged = ContactsMerged(contact_id="b", survivor_id="a", merged_at=T0)
    state = apply([received(merged)], state)
    assert sorted(p["purchase_id"] for p in state["a"]["purchases"]) == ["p1", "p2"]
    assert state["a"]["merged_from"] == ["b"]
    assert (state["b"]["status"], state["b"]["merged_into"]) == ("merged", "a")


def test_an_erased_record_is_only_the_proof_and_stays_so():
    state = apply([registered("c1"), interaction("c1", 1)])
    state = apply(
        [received(ContactErased(contact_id="c1", erased_at=T0)), purchase("c1", 9)], state
    )
    assert {k: v for k, v in state["c1"].items() if not k.startswith("_")} == {
        "contact_id": "c1",
        "status": "erased",
        "erased_at": T0,
    }


def test_an_item_folded_into_the_absorbed_record_after_the_merge_counts_once():
    state = apply([registered("a"), registered("b"), purchase("b", 2)])
    state = apply([received(ContactsMerged(contact_id="b", survivor_id="a", merged_at=T0))], state)
    state = apply([purchase("b", 3)], state)  # about b, arriving after the merge
    whole = combined([state["a"], state["b"]])
    assert sorted(p["purchase_id"] for p in whole["purchases"]) == ["p2", "p3"]
