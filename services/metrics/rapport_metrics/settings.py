from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings

ActivityKind = Literal["interaction", "inbound_interaction", "purchase", "survey_answer"]


class MetricsSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_METRICS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_METRICS_", extra="ignore")

    http_port: int = 8004
    mongo_database: str = "rapport_metrics"
    reporting_time_zone: str = Field(
        default="UTC", description="IANA zone whose midnights bound day, week and month windows."
    )
    base_currency: str = Field(
        default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code money KPIs are in."
    )
    exchange_rates: dict[str, Decimal] = Field(
        default={"EUR": Decimal(1), "USD": Decimal("0.92"), "TRY": Decimal("0.027")},
        description="Units of the base currency per unit of each currency (JSON).",
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
    def _positive_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(rate <= 0 for rate in value.values()):
            raise ValueError("exchange rates must be positive")
        return value
