"""The read models folded in memory, in the pipeline's order, with the kit's pure ``fold``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from rapport_kit.projection import Document, ProjectedEvent, Projection, fold
from rapport_metrics.domain.context import Context
from rapport_metrics.domain.counters import KeyedContributions, KpiCounters, collection_of
from rapport_metrics.domain.customers import CustomerActivity
from rapport_metrics.domain.directory import ContactDirectory, Directory
from rapport_metrics.domain.responses import AwaitingResponses
from rapport_metrics.domain.surveys import SurveyPairs
from rapport_schemas import wrap
from rapport_schemas.common import Channel, Segment
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegistered,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
)
from rapport_schemas.envelope import EventData

UTC_ZONE = ZoneInfo("UTC")
T0 = datetime(2025, 11, 3, 9, tzinfo=UTC)
_offsets = count()


def received(data: EventData, *, offset: int | None = None) -> ProjectedEvent:
    event = wrap(data, source="/test")
    offset = next(_offsets) if offset is None else offset
    return ProjectedEvent(event, "t", 0, offset)


class InMemoryKpis:
    def __init__(self) -> None:
        self.collections: dict[str, dict[str, Document]] = {}

    def _fold(self, projection: Projection, batch: list[ProjectedEvent]) -> None:
        stored = self.collections.setdefault(projection.collection, {})
        stored.update(fold(projection, stored, batch).changed)

    def apply(self, batch: list[ProjectedEvent]) -> None:
        self._fold(ContactDirectory(), batch)
        directory = Directory(self.collections["directory"])
        self._fold(
            CustomerActivity(directory, UTC_ZONE, frozenset({"interaction", "purchase"})), batch
        )
        self._fold(AwaitingResponses(), batch)
        self._fold(SurveyPairs(directory), batch)
        context = Context(
            directory,
            UTC_ZONE,
            frozenset({"interaction", "purchase"}),
            customers=self.collections.get("customers", {}),
            awaiting=self.collections.get("awaiting", {}),
            surveys=self.collections.get("surveys", {}),
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
