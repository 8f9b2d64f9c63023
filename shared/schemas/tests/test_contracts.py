"""The committed JSON Schemas and AsyncAPI document are what the models generate."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from rapport_schemas import BY_TYPE, EVENT_MODELS, UndecodableEvent, decode, wrap
from rapport_schemas.contacts import PurchaseRecorded
from rapport_schemas.generate import rendered_files


def test_committed_schema_files_match_the_models() -> None:
    drifted = [
        p.name for p, text in rendered_files().items() if p.read_text(encoding="utf-8") != text
    ]
    assert drifted == [], "run `make schemas` and commit the result"


def test_every_event_the_spec_names_has_a_versioned_type() -> None:
    names = {model.__name__ for model in EVENT_MODELS}
    assert names >= {
        "ContactRegistered",
        "ContactUpdated",
        "ContactConsentChanged",
        "ContactsMerged",
        "ContactErased",
        "InteractionLogged",
        "PurchaseRecorded",
        "CaseResolved",
        "SurveyRequested",
        "SurveyAnswered",
        "DetractorDetected",
        "NotificationScheduled",
        "NotificationSent",
        "NotificationFailed",
        "SlaBreached",
        "MetricComputed",
    }
    assert all(t.startswith("rapport.") and t.rsplit(".", 1)[1].startswith("v") for t in BY_TYPE)


def test_an_event_round_trips_through_its_envelope_keeping_money_exact() -> None:
    purchase = PurchaseRecorded(
        purchase_id="p1",
        contact_id="ct_1",
        amount=Decimal("1999.90"),
        currency="TRY",
        occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
    )
    event = wrap(purchase, source="/rapport/contacts")
    raw = event.model_dump_json().encode()
    assert json.loads(raw)["data"]["amount"] == "1999.90"
    decoded = decode(raw)
    assert decoded.id == event.id and decoded.subject == "ct_1" and decoded.partitionkey == "ct_1"
    assert decoded.data == purchase


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b'{"specversion": "1.0"}', "invalid_envelope"),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "1",
                    "source": "/x",
                    "type": "rapport.nope.v1",
                    "time": "2026-01-01T00:00:00Z",
                    "subject": "c",
                    "data": {},
                }
            ).encode(),
            "unknown_type",
        ),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "1",
                    "source": "/x",
                    "type": "rapport.contacts.purchase_recorded.v1",
                    "time": "2026-01-01T00:00:00Z",
                    "subject": "c",
                    "data": {
                        "purchase_id": "p",
                        "contact_id": "c",
                        "amount": "-1",
                        "currency": "TRY",
                        "occurred_at": "2026-01-01T00:00:00Z",
                    },
                }
            ).encode(),
            "schema_violation",
        ),
        (b" " * 300_000, "too_large"),
    ],
)
def test_undecodable_messages_name_their_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(UndecodableEvent) as caught:
        decode(raw)
    assert caught.value.reason == reason
