"""Request and answer bodies of the event webhooks API; a bad field is a 422 naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from rapport_notifications.domain.webhook_delivery import DeliveryState
from rapport_notifications.domain.webhook_signing import InvalidSecret, signing_key
from rapport_notifications.domain.webhook_subscription import Filters
from rapport_notifications.service_layer.webhook_subscriptions import Wanted
from rapport_schemas import topics
from rapport_schemas.catalog import BY_TYPE
from rapport_schemas.contacts import ContactProfile

PROFILE_FIELDS = frozenset(ContactProfile.model_fields)
URL = Field(
    min_length=1,
    max_length=2000,
    description="https, not a private address (http and local hosts only outside production).",
)
EVENT_TYPES = Field(min_length=1, max_length=50, description="CloudEvent types to deliver.")


class FiltersBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    countries: list[str] = Field(
        default=[], max_length=300, description="ISO 3166-1 alpha-2; empty: every country."
    )
    changed_fields: list[str] = Field(
        default=[],
        max_length=50,
        description="ContactUpdated only when one of these profile fields changed.",
    )

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, countries: list[str]) -> list[str]:
        if any(len(c) != 2 or not c.isalpha() or not c.isupper() for c in countries):
            raise ValueError("each country is an ISO 3166-1 alpha-2 code such as HU")
        return countries

    @field_validator("changed_fields")
    @classmethod
    def _profile_fields(cls, fields: list[str]) -> list[str]:
        unknown = sorted(set(fields) - PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"not profile fields: {', '.join(unknown)}")
        return fields

    def filters(self) -> Filters:
        return Filters(frozenset(self.countries), frozenset(self.changed_fields))


def _known_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(BY_TYPE))
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    # The personal topics' records are never forwarded: they are read by Rapport only, and an
    # erasure must not depend on a receiver deleting a copy (issue 20).
    personal = sorted(t for t in set(types) if BY_TYPE[t].topic in topics.PERSONAL)
    if personal:
        raise ValueError(f"personal data records are not forwarded: {', '.join(personal)}")
    return types


class NewSubscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = URL
    event_types: list[str] = EVENT_TYPES
    personal_data: bool = Field(
        default=False, description="Deliver names, e-mail, phone, company and free text."
    )
    filters: FiltersBody = FiltersBody()
    description: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(
        default=None, max_length=200, description="whsec_… of your own; omitted: generated."
    )

    @field_validator("event_types")
    @classmethod
    def _known(cls, types: list[str]) -> list[str]:
        return _known_types(types)

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, secret: str | None) -> str | None:
        return _standard_secret(secret)

    def wanted(self) -> Wanted:
        return Wanted(
            url=self.url,
            event_types=frozenset(self.event_types),
            personal_data=self.personal_data,
            filters=self.filters.filters(),
            description=self.description,
            secret=self.secret,
        )


class NewSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = Field(
        default=None, max_length=200, description="whsec_… of your own; omitted: generated."
    )

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, secret: str | None) -> str | None:
        return _standard_secret(secret)


def _standard_secret(secret: str | None) -> str | None:
    if secret is not None:
        try:
            signing_key(secret)
        except InvalidSecret as error:
            raise ValueError(str(error)) from None
    return secret


class SubscriptionChange(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    personal_data: bool | None = None
    filters: FiltersBody | None = None
    description: str | None = Field(default=None, max_length=200)

    @field_validator("event_types")
    @classmethod
    def _known(cls, types: list[str] | None) -> list[str] | None:
        return None if types is None else _known_types(types)

    def changes(self) -> dict[str, Any]:
        given = self.model_dump(exclude_unset=True, exclude_none=True)
        if "event_types" in given:
            given["event_types"] = sorted(set(given["event_types"]))
        return given


class ReplayRange(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: AwareDatetime = Field(alias="from", description="Events whose time is at or after…")
    end: AwareDatetime = Field(alias="to", description="…and before this.")

    @model_validator(mode="after")
    def _forward(self) -> Self:
        if self.end <= self.start:
            raise ValueError("to must be later than from")
        return self


class Attempted(BaseModel):
    at: datetime
    reason: str = Field(description="http_<status>, timeout or connection.")
    verdict: str = Field(description="delivered, retry or rejected.")
    detail: str | None = None


class DeliveryRecord(BaseModel):
    delivery_id: str
    event_id: str = Field(description="Also the webhook-id header.")
    event_type: str
    event_time: datetime
    contact_id: str
    state: DeliveryState
    attempts: int = Field(description="Tries since it was enqueued (or replayed).")
    last_status: int | None = None
    last_reason: str | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = Field(default=None, description="While pending.")
    delivered_at: datetime | None = None
    failure: str | None = Field(default=None, description="rejected or attempts_exhausted.")
    replays: int = 0
    log: list[Attempted] = Field(default=[], description="The latest attempts, oldest first.")

    @classmethod
    def of(cls, document: dict[str, Any]) -> DeliveryRecord:
        pending = document["state"] == DeliveryState.PENDING.value
        fields = {k: v for k, v in document.items() if k in cls.model_fields}
        fields["next_attempt_at"] = document.get("next_attempt_at") if pending else None
        return cls(delivery_id=document["_id"], **fields)
