"""A profile as submitted: every field checked in one pass, so one answer names every bad field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from rapport_contacts.domain import validation, vocabularies
from rapport_schemas.common import Channel, Segment
from rapport_schemas.contacts import ContactProfile, FormOfAddress, QuietHours


class SegmentInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    industry: str | None = Field(default=None, max_length=64)
    company_size: str | None = Field(default=None, max_length=32)
    region: str | None = Field(default=None, max_length=64)
    tags: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        words = (validation.text(tag, max_length=40) for tag in tags)
        return sorted({vocabularies.word("tags", word) for word in words})

    @field_validator("industry", "company_size", "region")
    @classmethod
    def _vocabulary_word(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else vocabularies.word(str(info.field_name), value)


class ExternalIdInput(BaseModel):
    """E.g. ``{"source": "zendesk", "id": "123"}``; the source is compared lower case."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(max_length=32, examples=["zendesk"])
    id: str = Field(max_length=128, examples=["123"])

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        return validation.external_source(value)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return validation.external_id(value)


class ProfileInput(BaseModel):
    """Field order matters: ``country`` is validated before ``phone``, which is read in it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=400)
    country: str = Field(description="ISO 3166-1 alpha-2", examples=["TR"])
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(
        default=None, max_length=32, description="E.164, or national in the contact's country"
    )
    language: str = Field(description="BCP 47", examples=["tr-TR"], max_length=35)
    time_zone: str = Field(
        description="IANA time zone", examples=["Europe/Istanbul"], max_length=64
    )
    preferred_channel: Channel = Channel.EMAIL
    currency: str = Field(description="ISO 4217", examples=["TRY"], max_length=3)
    company: str | None = Field(default=None, max_length=400)
    segment: SegmentInput = Field(default_factory=SegmentInput)
    account_owner: str | None = Field(default=None, max_length=64)
    quiet_hours: QuietHours | None = Field(
        default=None, description="The contact's own quiet hours (local time); unset: the default."
    )
    form_of_address: FormOfAddress | None = Field(
        default=None, description="Salutation's gender where a language has one; unset: neutral."
    )
    external_ids: list[ExternalIdInput] = Field(
        default_factory=list,
        max_length=20,
        description="Ids in other systems; another contact holding one is 409.",
    )

    @field_validator("external_ids")
    @classmethod
    def _external_ids(cls, ids: list[ExternalIdInput]) -> list[ExternalIdInput]:
        """Each pair once, in a stable order (a reordered list is no change)."""
        unique = {(given.source, given.id): given for given in ids}
        return [unique[pair] for pair in sorted(unique)]

    @field_validator("account_owner")
    @classmethod
    def _account_owner(cls, value: str | None) -> str | None:
        return None if value is None else validation.single_line(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return validation.text(value, max_length=200)

    @field_validator("company")
    @classmethod
    def _company(cls, value: str | None) -> str | None:
        return None if value is None else validation.text(value, max_length=200)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return validation.country_code(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else validation.email_address(value)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return validation.phone_number(value, country=info.data.get("country"))

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return validation.language_tag(value)

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        return validation.time_zone(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validation.currency_code(value)

    def to_profile(self) -> ContactProfile:
        fields = self.model_dump(exclude={"segment"})
        segment = Segment(**{**self.segment.model_dump(), "tags": tuple(self.segment.tags)})
        return ContactProfile(**fields, segment=segment)


def patched(profile: ContactProfile, patch: dict[str, Any]) -> ContactProfile:
    """The profile with ``patch`` applied, validated whole (raises ``ValidationError``)."""
    current = profile.model_dump(mode="json")
    if isinstance(patch.get("segment"), dict):
        patch = {**patch, "segment": {**current["segment"], **patch["segment"]}}
    return ProfileInput.model_validate({**current, **patch}).to_profile()
