"""Exchange rates in force: the configured table plus the dated rates posted over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.idempotency import RECORDS, KeptAnswer
from rapport_kit.mongo import Document
from rapport_metrics.domain.rates import RateTable, rate_id


class ExchangeRates:
    """Posted rates live in MongoDB (one document per currency and valid-from day), so every
    replica converts with the same table; a posted rate overrides a configured one of that day."""

    collection = "exchange_rates"

    def __init__(self, db: AsyncDatabase[Document], configured: RateTable) -> None:
        self.db = db
        self.configured = configured

    async def table(self) -> RateTable:
        table = self.configured
        rates = self.db[self.collection].find({}, {"_id": 0, RECORDS: 0}).sort("_id")
        async for posted in rates:
            valid_from = date.fromisoformat(posted["valid_from"])
            table = table.with_rate(posted["currency"], valid_from, Decimal(posted["rate"]))
        return table

    async def record(
        self, currency: str, valid_from: date, rate: Decimal, *, kept: KeptAnswer | None = None
    ) -> None:
        """One write: the rate and a keyed request's answer (``rapport_kit.idempotency``)."""
        posted = {"currency": currency, "valid_from": valid_from.isoformat(), "rate": str(rate)}
        answer = kept.fields() if kept is not None else {}
        await self.db[self.collection].update_one(
            {"_id": rate_id(currency, valid_from)}, {"$set": {**posted, **answer}}, upsert=True
        )
