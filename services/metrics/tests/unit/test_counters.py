"""The read models folded in memory, in the pipeline's order, with the kit's pure ``fold``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from rapport_kit.consuming import ReceivedEvent
from rapport_kit.projection import Document, Projection, fold
from rapport_metrics.domain.context import Context
from rapport_metrics.domain.counters import KeyedContributions, KpiCounters, collection_of
from rapport_metrics.domain.customers import CustomerActivity
from rapport_metrics.domain.directory import ContactDirectory, Directory
from rapport_metrics.domain.responses import AwaitingResponses
from rapport_schemas import wrap
from rapport_schemas.common import Channel, Segment
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from tests.support.events import record

UTC_ZONE = ZoneInfo("UTC")
RATES = {"EUR": Decimal(1), "TRY": Decimal("0.027")}
T0 = datetime(2025, 11, 3, 9, tzinfo=UTC)
_offsets = count()


def received(data: EventData, *, offset: int | None = None) -> ReceivedEvent:
    event = wrap(data, source="/test")
    offset = next(_offsets) if offset is None else offset
    return ReceivedEvent(event, "t", 0, offset, record(b"{}", offset=offset))


class InMemoryKpis:
    def __init__(self) -> None:
        self.collections: dict[str, dict[str, Document]] = {}

    def _fold(self, projection: Projection, batch: list[ReceivedEvent]) -> None:
        stored = self.collections.setdefault(projection.collection, {})
        stored.update(fold(projection, stored, batch).changed)

    def apply(self, batch: list[ReceivedEvent]) -> None:
        self._fold(ContactDirectory(), batch)
        directory = Directory(self.collections["directory"])
        self._fold(
            CustomerActivity(directory, UTC_ZONE, frozenset({"interaction", "purchase"})), batch
        )
        self._fold(AwaitingResponses(), batch)
        context = Context(
            directory,
            UTC_ZONE,
            RATES,
            frozenset({"interaction", "purchase"}),
            customers=self.collections.get("customers", {}),
            awaiting=self.collections.get("awaiting", {}),
        )
        keyed = KeyedContributions(context)
        for collection in keyed.collections(batch):
            self._fold(KpiCounters(keyed, collection), batch)

    def counters(self, key: str) -> dict[str, object]:
        stored = self.collections.get(collection_of(key), {})
        return dict(stored.get(key, {}).get("counters", {}))


def registered(contact: str, country: str = "TR", at: datetime = T0) -> ContactRegistered:
    profile = ContactProfile(
        name="x",
        language="tr",
        time_zone="Europe/Istanbul",
        country=country,
        currency="TRY",
        segment=Segment(region="west"),
    )
    return ContactRegistered(contact_id=contact, profile=profile, registered_at=at)


def interaction(
    contact: str, at: datetime, *, number: int = 1, **fields: object
) -> InteractionLogged:
    defaults: dict[str, object] = {
        "channel": Channel.EMAIL,
        "direction": Direction.INBOUND,
        "kind": InteractionKind.SUPPORT,
    }
    return InteractionLogged(
        interaction_id=f"i-{contact}-{number}",
        contact_id=contact,
        occurred_at=at,
        **{**defaults, **fields},
    )


def purchase(
    contact: str, at: datetime, amount: str, currency: str = "TRY", number: int = 1
) -> PurchaseRecorded:
    return PurchaseRecorded(
        purchase_id=f"p-{contact}-{number}",
        contact_id=contact,
        amount=Decimal(amount),
        currency=currency,
        occurred_at=at,
    )


def test_a_late_event_folds_into_its_own_window():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1"))])
    kpis.apply([received(interaction("c1", T0 + timedelta(days=30), kind=InteractionKind.OTHER))])
    kpis.apply([received(interaction("c1", T0, number=2, kind=InteractionKind.COMPLAINT))])
    assert kpis.counters("interactions|month|2025-11-01|all=all") == {"n": 1, "complaints": 1}
    assert kpis.counters("interactions|month|2025-12-01|all=all") == {"n": 1, "complaints": 0}
    assert kpis.counters("interactions|day|2025-11-03|country=TR") == {"n": 1, "complaints": 1}


def test_redelivery_changes_nothing():
    kpis = InMemoryKpis()
    batch = [received(registered("c1")), received(purchase("c1", T0, "100"))]
    kpis.apply(batch)
    before = kpis.counters("purchases|month|2025-11-01|all=all")
    kpis.apply(batch)
    assert (
        kpis.counters("purchases|month|2025-11-01|all=all")
        == before
        == {"purchases": 1, "revenue": "2.700", "buyers": 1, "first_buyers": 1}
    )


def test_a_merge_counts_the_person_once_in_the_survivors_segments():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1", "TR")), received(registered("c2", "HU"))])
    kpis.apply(
        [
            received(purchase("c1", T0, "10")),
            received(purchase("c2", T0, "20")),
            received(interaction("c2", T0 + timedelta(days=40))),
        ]
    )
    month = "purchases|month|2025-11-01"
    assert kpis.counters(f"{month}|all=all")["buyers"] == 2
    merged = ContactsMerged(contact_id="c2", survivor_id="c1", merged_at=T0)
    kpis.apply([received(merged), received(purchase("c2", T0, "30", number=2))])
    assert kpis.counters(f"{month}|all=all") == {
        "purchases": 3,
        "revenue": "1.620",
        "buyers": 1,
        "repeat_buyers": 1,
        "first_buyers": 1,
    }
    assert kpis.counters(f"{month}|country=HU")["buyers"] == 0
    assert kpis.counters(f"{month}|country=TR")["repeat_buyers"] == 1
    # December activity moved from HU to the survivor in TR, once.
    assert kpis.counters("activity|month|2025-12-01|country=HU") == {"active": 0, "new_active": 0}
    assert kpis.counters("activity|month|2025-12-01|country=TR") == {"active": 1, "new_active": 0}
    assert kpis.counters("activity|month|2025-11-01|all=all") == {"active": 1, "new_active": 1}


def test_first_response_time_and_sla_compliance():
    kpis = InMemoryKpis()
    due = T0 + timedelta(hours=8)
    kpis.apply(
        [
            received(registered("c1")),
            received(interaction("c1", T0, awaits_response=True, response_due_at=due)),
            received(interaction("c1", T0, number=2, awaits_response=True, response_due_at=due)),
        ]
    )
    reply = {"direction": Direction.OUTBOUND, "agent_id": "a1"}
    kpis.apply(
        [
            received(
                interaction("c1", T0 + timedelta(hours=2), number=3, in_reply_to="i-c1-1", **reply)
            ),
            received(
                interaction("c1", T0 + timedelta(hours=3), number=4, in_reply_to="i-c1-1", **reply)
            ),
            received(
                SlaBreached(
                    interaction_id="i-c1-2",
                    contact_id="c1",
                    channel=Channel.EMAIL,
                    received_at=T0,
                    due_at=due,
                )
            ),
        ]
    )
    counters = kpis.counters("responses|day|2025-11-03|agent=a1")
    assert counters == {"n": 1, "time_sum": 7200.0, "time_sq": 7200.0**2, "in_time": 1}
    assert kpis.counters("responses|day|2025-11-03|all=all")["breached"] == 1


def test_survey_answers_count_by_kind():
    kpis = InMemoryKpis()
    kpis.apply([received(registered("c1"))])
    answers = [
        SurveyAnswered(
            survey_id=f"s{score}", contact_id="c1", kind=SurveyKind.NPS, score=score, answered_at=T0
        )
        for score in (10, 9, 8, 6, 0)
    ]
    kpis.apply([received(answer) for answer in answers])
    assert kpis.counters("nps|week|2025-11-03|country=TR") == {
        "n": 5,
        "promoters": 2,
        "detractors": 2,
    }
