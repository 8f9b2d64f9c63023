"""The KPI pipeline on in-memory fakes, driven synchronously, and sample events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from rapport_kit.projection import ProjectedEvent
from rapport_metrics.service_layer.pipeline import KpiPipeline
from rapport_metrics.service_layer.publishing import PointPublisher
from rapport_metrics.settings import MetricsSettings
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
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES
from services.metrics.tests.unit.fakes import (
    FakeExchangeRates,
    FixedClock,
    InMemoryCounterSeries,
    InMemoryReadModels,
    RecordingGauges,
    RecordingSink,
)

UTC_ZONE = ZoneInfo("UTC")
T0 = datetime(2025, 11, 3, 9, tzinfo=UTC)
ACTIVITY = frozenset({"interaction", "purchase"})
_offsets = count()


def received(data: EventData, *, offset: int | None = None) -> ProjectedEvent:
    event = wrap(data, source="/test")
    offset = next(_offsets) if offset is None else offset
    return ProjectedEvent(event, "t", 0, offset)


class InMemoryKpis:
    """``KpiPipeline`` wired to the fakes, as ``bootstrap`` wires it to MongoDB and Kafka."""

    def __init__(self, settings: MetricsSettings | None = None) -> None:
        settings = settings or MetricsSettings()
        self.read_models = InMemoryReadModels()
        self.rates = FakeExchangeRates(settings.rate_table())
        self.sink, self.gauges, self.clock = RecordingSink(), RecordingGauges(), FixedClock(T0)
        self.points = PointPublisher(
            InMemoryCounterSeries(self.read_models),
            self.rates,
            self.sink,
            self.gauges,
            self.clock,
            zone=UTC_ZONE,
            min_sample_size=settings.min_sample_size,
        )
        self.pipeline = KpiPipeline(
            self.read_models,
            self.points,
            zone=UTC_ZONE,
            activity=ACTIVITY,
            vocabularies=DEFAULT_VOCABULARIES,
        )

    def apply(self, batch: list[ProjectedEvent]) -> None:
        asyncio.run(self.pipeline.fold(batch))

    def counters(self, key: str) -> dict[str, object]:
        return self.read_models.counters(key)


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
