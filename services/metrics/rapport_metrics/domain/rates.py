"""Dated exchange rates: per currency, base-currency units per unit, each valid from a day on.

Purchases are counted in their own currency by day (``amount|TRY|2025-11-28``) and converted
only when a value is computed, at the rate valid on the purchase's day. So a rate that arrives or
changes later re-values history, and a purchase without a rate is kept, counted in its currency
and reported as unconverted instead of being dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

AMOUNT = "amount"
EPOCH = date(1970, 1, 1)  # valid-from of the base currency and of rates configured undated


def amount_counter(currency: str, day: date) -> str:
    return f"{AMOUNT}|{currency}|{day.isoformat()}"


def parse_amount_counter(name: str) -> tuple[str, date] | None:
    parts = name.split("|")
    if len(parts) != 3 or parts[0] != AMOUNT:
        return None
    return parts[1], date.fromisoformat(parts[2])


@dataclass(frozen=True)
class Valuation:
    """Amounts converted into the base currency, and what no rate covered (by currency)."""

    base: Decimal = Decimal(0)
    unconverted: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class RateTable:
    base_currency: str
    rates: Mapping[str, Mapping[date, Decimal]]  # currency → valid-from day → rate

    def rate_on(self, currency: str, day: date) -> tuple[date, Decimal] | None:
        """The rate in force on ``day``: the one with the latest valid-from not after it."""
        if currency == self.base_currency:
            return EPOCH, Decimal(1)
        valid = [since for since in self.rates.get(currency, {}) if since <= day]
        return (max(valid), self.rates[currency][max(valid)]) if valid else None

    def with_rate(self, currency: str, valid_from: date, rate: Decimal) -> RateTable:
        dated = {**self.rates.get(currency, {}), valid_from: rate}
        return RateTable(self.base_currency, {**self.rates, currency: dated})

    def value(self, counters: Mapping[str, object]) -> Valuation:
        """Every ``amount|…`` counter converted at its day's rate."""
        base, unconverted = Decimal(0), dict[str, Decimal]()
        for name, amount in counters.items():
            parsed = parse_amount_counter(name)
            if parsed is None:
                continue
            currency, day = parsed
            in_force = self.rate_on(currency, day)
            if in_force is None:
                unconverted[currency] = unconverted.get(currency, Decimal(0)) + Decimal(str(amount))
            else:
                base += Decimal(str(amount)) * in_force[1]
        return Valuation(base, unconverted)

    def currencies(self) -> list[str]:
        return sorted({self.base_currency, *self.rates})


def rate_id(currency: str, valid_from: date | str) -> str:
    """The stored document of one currency's rate from one day."""
    day = valid_from if isinstance(valid_from, str) else valid_from.isoformat()
    return f"{currency}|{day}"
