"""Segment values come from the configured vocabularies: they become public KPI series keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from rapport_contacts.domain import vocabularies
from rapport_contacts.domain.profiles import ProfileInput
from rapport_contacts.settings import ContactsSettings
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES

PROFILE = {
    "name": "Ayşe Yılmaz",
    "language": "tr-TR",
    "time_zone": "Europe/Istanbul",
    "country": "TR",
    "currency": "TRY",
}


@pytest.fixture(autouse=True)
def defaults() -> Iterator[None]:
    yield
    vocabularies.configure(DEFAULT_VOCABULARIES)


def with_segment(**segment: object) -> ProfileInput:
    return ProfileInput.model_validate({**PROFILE, "segment": segment})


def test_values_take_the_vocabularys_spelling() -> None:
    segment = with_segment(industry=" Retail ", region="eu", company_size="10-49", tags=["VIP"])
    profile = segment.to_profile().segment
    assert (profile.industry, profile.region, profile.company_size) == ("retail", "EU", "10-49")
    assert profile.tags == ("vip",)


def test_a_value_outside_the_vocabulary_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        with_segment(industry="ayse@example.com", region="Atlantis", tags=["vip", "free text"])
    fields = {error["loc"][:2] for error in caught.value.errors()}
    assert fields == {("segment", "industry"), ("segment", "region"), ("segment", "tags")}
    assert "ayse@example.com" not in str(caught.value.errors()[0]["msg"])


def test_a_deployment_configures_its_own_vocabulary() -> None:
    settings = ContactsSettings(segment_vocabularies={"industry": ["shipbuilding"]})
    vocabularies.configure(settings.segment_vocabularies)
    assert with_segment(industry="Shipbuilding").segment.industry == "shipbuilding"
    with pytest.raises(ValidationError):
        with_segment(industry="retail")
