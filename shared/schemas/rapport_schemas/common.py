"""Value types shared by several event payloads."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

ContactId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
EntityId = Annotated[str, Field(min_length=1, max_length=64)]
# Money travels as a decimal string so no consumer loses precision to binary floats.
Money = Annotated[Decimal, PlainSerializer(str, return_type=str, when_used="json")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
LanguageTag = Annotated[str, Field(min_length=2, max_length=35)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64)]


class Channel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SMS = "sms"
    LIVE_CHAT = "live_chat"
    VIDEO = "video"
    SOCIAL_MEDIA = "social_media"
    WEB = "web"
    IN_PERSON = "in_person"
    IN_APP = "in_app"


class Purpose(StrEnum):
    """What a message is for: consent is given or withdrawn per channel and, optionally, purpose."""

    SERVICE = "service"  # transactional: it answers something the customer did
    SURVEYS = "surveys"
    MARKETING = "marketing"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Consent(Frozen):
    """Consent for one channel, with the proof a regulator asks for."""

    channel: Channel
    granted: bool
    source: str = Field(min_length=1, max_length=128, description="Where consent was given.")
    changed_at: AwareDatetime
    purpose: Purpose | None = Field(
        default=None,
        description="Unset: the whole channel. Set: that purpose only. For a (channel, purpose)"
        " the newer of the two decides (rapport_schemas.consents.deciding).",
    )


class Segment(Frozen):
    """Segment attributes used for targeting and KPI breakdowns (never personal data)."""

    industry: str | None = Field(default=None, max_length=64)
    company_size: str | None = Field(default=None, max_length=32)
    region: str | None = Field(default=None, max_length=64)
    tags: tuple[str, ...] = ()


__all__ = [
    "Channel",
    "Consent",
    "ContactId",
    "CountryCode",
    "CurrencyCode",
    "Decimal",
    "EntityId",
    "Frozen",
    "LanguageTag",
    "Money",
    "Purpose",
    "Segment",
    "TimeZoneName",
]
