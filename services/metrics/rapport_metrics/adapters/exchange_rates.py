"""Exchange rates in force: the configured table plus the dated rates posted over HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.mongo import Document
from rapport_metrics.domain.rates import RateTable


class ExchangeRates:
    """Posted rates live in MongoDB (one document per currency and valid-from day), so every
    replica converts with the same table; a posted rate overrides a configured one of that day."""

    collection = "exchange_rates"

    def __init__(self, db: AsyncDatabase[Document], configured: RateTable) -> None:
        self.db = db
        self.configured = configured

    async def table(self) -> RateTable:
        table = self.configured
        async for posted in self.db[self.collection].find({}, {"_id": 0}).sort("_id"):
            valid_from = date.fromisoformat(posted["valid_from"])
            table = table.with_rate(posted["currency"], valid_from, Decimal(posted["rate"]))
        return table

    async def record(self, currency: str, valid_from: date, rate: Decimal) -> None:
        await self.db[self.collection].replace_one(
            {"_id": f"{currency}|{valid_from.isoformat()}"},
            {"currency": currency, "valid_from": valid_from.isoformat(), "rate": str(rate)},
            upsert=True,
        )
