"""Customer data is checked and normalized before anything is stored."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rapport_contacts.domain.duplicates import likely_duplicate_key, unique_keys
from rapport_contacts.domain.profiles import ProfileInput, patched

VALID = {
    "name": "  Ayşe   Yılmaz ",
    "email": "Ayse.Yilmaz@Example.COM.tr",
    "phone": "0532 123 45 67",
    "language": "tr-tr",
    "time_zone": "Europe/Istanbul",
    "country": "tr",
    "currency": "try",
    "company": "Örnek A.Ş.",
    "segment": {"industry": "retail", "tags": ["VIP", "vip", "b2c"]},
}


def test_a_valid_profile_is_normalized() -> None:
    profile = ProfileInput.model_validate(VALID).to_profile()
    assert profile.name == "Ayşe Yılmaz"
    assert profile.email == "Ayse.Yilmaz@example.com.tr"
    assert profile.phone == "+905321234567"  # national number read in the contact's country
    assert (profile.language, profile.country, profile.currency) == ("tr-TR", "TR", "TRY")
    assert profile.segment.tags == ("b2c", "vip")


def test_every_bad_field_is_named_at_once() -> None:
    bad = {
        **VALID,
        "email": "not-an-address",
        "phone": "+90 12",
        "language": "xx-QQ-nonsense",
        "time_zone": "Mars/Olympus",
        "country": "QQ",
        "currency": "EURO",
    }
    del bad["name"]
    with pytest.raises(ValidationError) as caught:
        ProfileInput.model_validate(bad)
    fields = {error["loc"][0] for error in caught.value.errors()}
    assert fields == {"name", "email", "phone", "language", "time_zone", "country", "currency"}


def test_blank_and_overlong_text_is_refused() -> None:
    for name in ("   ", "x" * 201):
        with pytest.raises(ValidationError):
            ProfileInput.model_validate({**VALID, "name": name})


def test_a_patch_is_validated_with_the_rest_of_the_profile() -> None:
    profile = ProfileInput.model_validate(VALID).to_profile()
    moved = patched(
        profile, {"country": "HU", "phone": "06 30 123 4567", "segment": {"region": "EU"}}
    )
    assert moved.phone == "+36301234567"
    assert (moved.segment.industry, moved.segment.region) == ("retail", "EU")
    with pytest.raises(ValidationError):
        patched(profile, {"time_zone": "Europe/Nowhere"})


def test_keys_ignore_case_and_accents_where_people_do() -> None:
    one = ProfileInput.model_validate(VALID).to_profile()
    two = ProfileInput.model_validate(
        {
            **VALID,
            "name": "AYSE YILMAZ",
            "email": "ayse.yilmaz@EXAMPLE.com.tr",
            "company": "ornek a.s.",
        }
    ).to_profile()
    assert unique_keys(one) == unique_keys(two)
    assert likely_duplicate_key(one) == likely_duplicate_key(two) is not None
    assert "ayse" not in unique_keys(one)[0].key  # hashed: no readable personal data
