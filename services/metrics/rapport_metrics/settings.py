from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings
from rapport_metrics.domain.rates import EPOCH, RateTable
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES

ActivityKind = Literal["interaction", "inbound_interaction", "purchase", "survey_answer"]


class MetricsSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_METRICS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_METRICS_", extra="ignore")

    http_port: int = 8004
    idempotency_key_retention_hours: float = Field(
        default=24,
        gt=0,
        description="How long an Idempotency-Key on POST /exchange-rates is remembered: a retry "
        "within it answers the first response; after it the key is new again.",
    )
    mongo_database: str = "rapport_metrics"
    reporting_time_zone: str = Field(
        default="UTC", description="IANA zone whose midnights bound day, week and month windows."
    )
    base_currency: str = Field(
        default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code money KPIs are in."
    )
    exchange_rates: dict[str, Decimal | dict[date, Decimal]] = Field(
        default={
            "USD": {date(2025, 1, 1): Decimal("0.92")},
            "GBP": {date(2025, 1, 1): Decimal("1.17")},
            "TRY": {date(2025, 1, 1): Decimal("0.027")},
            "HUF": {date(2025, 1, 1): Decimal("0.0025")},
            "JPY": {date(2025, 1, 1): Decimal("0.0061")},
            "SAR": {date(2025, 1, 1): Decimal("0.245")},
            "BRL": {date(2025, 1, 1): Decimal("0.16")},
        },
        description=(
            "Units of the base currency per unit of each currency, by valid-from day (JSON: "
            '{"TRY": {"2025-01-01": "0.027", "2025-11-28": "0.0205"}}; a bare number is valid '
            "from 1970-01-01). More can be posted to POST /exchange-rates."
        ),
    )
    chart_max_windows: int = Field(
        default=800, ge=1, description="A chart spanning more windows is refused (422)."
    )
    segment_vocabularies: dict[str, frozenset[str]] = Field(
        default=DEFAULT_VOCABULARIES,
        description="Allowed values per free-text segment kind (industry, region…); others are "
        "never a series key. Keep in step with contacts' RAPPORT_CONTACTS_SEGMENT_VOCABULARIES.",
    )
    consumer_batch_size: int = Field(
        default=2_000,
        ge=1,
        le=10_000,
        description="Bigger batches fold more events into each counter document (one write each).",
    )
    min_sample_size: int = Field(default=30, ge=1, description="Below it a value is 'too few'.")
    activity: frozenset[ActivityKind] = Field(
        default=frozenset({"interaction", "purchase"}),
        description="What makes a contact active in a period (retention, churn).",
    )

    @field_validator("reporting_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("exchange_rates")
    @classmethod
    def _dated_positive_rates(
        cls, value: dict[str, Decimal | dict[date, Decimal]]
    ) -> dict[str, Decimal | dict[date, Decimal]]:
        for currency, rates in value.items():
            dated = rates if isinstance(rates, dict) else {EPOCH: rates}
            if len(currency) != 3 or not currency.isupper() or not currency.isalpha():
                raise ValueError(f"exchange_rates: {currency!r} is not an ISO 4217 code")
            if any(rate <= 0 for rate in dated.values()):
                raise ValueError(f"exchange_rates.{currency}: rates must be positive")
        return value

    def rate_table(self) -> RateTable:
        """The configured rates, each with its valid-from day."""
        return RateTable(
            self.base_currency,
            {
                currency: rates if isinstance(rates, dict) else {EPOCH: rates}
                for currency, rates in self.exchange_rates.items()
            },
        )
