"""Reference data over HTTP: the exchange rates in force (and posting a dated rate), and the
segment vocabularies that KPI series may be keyed by."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from rapport_kit.http import require_scope
from rapport_kit.idempotency import Answer, KeyedRequest
from rapport_kit.idempotency.http import keyed
from rapport_metrics.domain.rates import rate_id
from rapport_metrics.domain.segments import PATTERNS
from rapport_metrics.domain.windows import window_start
from rapport_metrics.service_layer.reading import ExchangeRateDesk
from rapport_schemas.metrics import WindowSize

router = APIRouter(tags=["reference"])
Reader = Depends(require_scope("metrics:read"))


class DatedRate(BaseModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")
    valid_from: date = Field(ge=date(1970, 1, 1))
    rate: Annotated[Decimal, Field(gt=0, max_digits=30, decimal_places=12)] = Field(
        description="Units of the base currency per unit of ``currency``."
    )


class RatesInForce(BaseModel):
    base_currency: str
    as_of: date
    rates: list[DatedRate] = Field(description="The rate of each currency in force today.")
    schedule: list[DatedRate] = Field(description="Every dated rate known, by currency and day.")


def _rates(request: Request) -> ExchangeRateDesk:
    rates: ExchangeRateDesk = request.app.state.exchange_rates
    return rates


Rates = Annotated[ExchangeRateDesk, Depends(_rates)]


@router.get("/exchange-rates", dependencies=[Reader])
async def exchange_rates(request: Request, rates: Rates) -> RatesInForce:
    """The rate table: purchases convert at the rate valid on their day (reporting time zone)."""
    today = window_start(request.app.state.clock(), WindowSize.DAY, request.app.state.zone)
    table = await rates.table()
    schedule = [
        DatedRate(currency=currency, valid_from=since, rate=rate)
        for currency in sorted(table.rates)
        for since, rate in sorted(table.rates[currency].items())
    ]
    in_force = []
    for currency in sorted(table.rates):
        found = table.rate_on(currency, today)
        if found:
            in_force.append(DatedRate(currency=currency, valid_from=found[0], rate=found[1]))
    return RatesInForce(
        base_currency=table.base_currency, as_of=today, rates=in_force, schedule=schedule
    )


def posted_rate(request: Request, body: bytes) -> str:
    """The rate document a keyed post writes; an unreadable body is refused by validation."""
    try:
        fields = json.loads(body)
        return rate_id(str(fields["currency"]), str(fields["valid_from"]))
    except (ValueError, KeyError, TypeError):
        return "unreadable"


KeyedRate = Annotated[KeyedRequest | None, Depends(keyed(posted_rate))]


@router.post("/exchange-rates", dependencies=[Depends(require_scope("metrics:write"))])
async def post_exchange_rate(rates: Rates, posted: DatedRate, key: KeyedRate) -> DatedRate:
    """Add (or correct) a dated rate; lifetime values are re-valued and re-published at once.
    With an ``Idempotency-Key``, a retry answers the first response and re-values nothing."""
    answer: Answer[DatedRate] = Answer(key, status.HTTP_200_OK, lambda rate: rate)
    await rates.record(posted.currency, posted.valid_from, posted.rate, kept=answer.kept(posted))
    return posted


@router.get("/segments", dependencies=[Reader])
async def segment_vocabularies(request: Request) -> dict[str, list[str]]:
    """The values each free-text segment kind may take; coded kinds (country, language,
    channel, agent) are checked by pattern and not listed."""
    vocabularies: dict[str, frozenset[str]] = request.app.state.vocabularies
    listed = {kind: sorted(values) for kind, values in vocabularies.items()}
    return {**listed, "coded": sorted(kind.value for kind in PATTERNS)}
