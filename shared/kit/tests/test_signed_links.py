"""Signed links: only a key holder makes one; tampering, another purpose or expiry refuse it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport_kit.signed_links import (
    SURVEY_ANSWER,
    ExpiredLink,
    InvalidLink,
    LinkClaims,
    sign_link,
    verify_link,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
KEY, OLD_KEY = b"k" * 32, b"o" * 32
CLAIMS = LinkClaims(SURVEY_ANSWER, "0b6f3c2e-survey", NOW + timedelta(days=14))


def test_a_link_verifies_with_its_key_and_names_its_subject_and_expiry() -> None:
    token = sign_link(CLAIMS, KEY)
    assert verify_link(token, purpose=SURVEY_ANSWER, keys=[KEY], now=NOW) == CLAIMS
    assert token.isascii() and len(token) < 128


def test_a_link_signed_with_the_previous_key_still_verifies_after_a_rotation() -> None:
    token = sign_link(CLAIMS, OLD_KEY)
    assert verify_link(token, purpose=SURVEY_ANSWER, keys=[KEY, OLD_KEY], now=NOW) == CLAIMS
    with pytest.raises(InvalidLink):
        verify_link(token, purpose=SURVEY_ANSWER, keys=[KEY], now=NOW)


def test_an_altered_subject_another_purpose_or_a_passed_expiry_is_refused() -> None:
    token = sign_link(CLAIMS, KEY)
    _, tag = token.split(".")
    other = sign_link(LinkClaims(SURVEY_ANSWER, "another-survey", CLAIMS.expires_at), KEY)
    with pytest.raises(InvalidLink):
        verify_link(f"{other.split('.')[0]}.{tag}", purpose=SURVEY_ANSWER, keys=[KEY], now=NOW)
    with pytest.raises(InvalidLink):
        verify_link(token, purpose="unsubscribe", keys=[KEY], now=NOW)
    with pytest.raises(ExpiredLink):
        verify_link(token, purpose=SURVEY_ANSWER, keys=[KEY], now=CLAIMS.expires_at)


@given(st.text(max_size=300))
def test_any_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(InvalidLink):
        verify_link(text, purpose=SURVEY_ANSWER, keys=[KEY], now=NOW)


def test_claims_that_would_be_ambiguous_cannot_be_signed() -> None:
    with pytest.raises(ValueError, match="cannot contain"):
        sign_link(LinkClaims(SURVEY_ANSWER, "a|b", NOW), KEY)
