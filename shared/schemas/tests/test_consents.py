"""The consent that decides for a channel and purpose: the newer of the channel's and the
purpose's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_schemas.common import Channel, Consent, Purpose
from rapport_schemas.consents import consent_key, deciding, granted

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _consent(granted: bool, days: int, purpose: Purpose | None = None) -> Consent:
    return Consent(
        channel=Channel.EMAIL,
        granted=granted,
        source="test",
        changed_at=T0 + timedelta(days=days),
        purpose=purpose,
    )


def test_a_channel_consent_covers_every_purpose() -> None:
    consents = [_consent(True, 0)]
    assert all(granted(consents, Channel.EMAIL, purpose) for purpose in Purpose)
    assert not granted(consents, Channel.SMS, Purpose.SERVICE)


def test_a_later_purpose_withdrawal_stops_that_purpose_only() -> None:
    consents = [_consent(True, 0), _consent(False, 1, Purpose.MARKETING)]
    assert not granted(consents, Channel.EMAIL, Purpose.MARKETING)
    assert granted(consents, Channel.EMAIL, Purpose.SURVEYS)
    assert deciding(consents, Channel.EMAIL, Purpose.MARKETING) == consents[1]


def test_a_later_channel_withdrawal_stops_a_purpose_granted_before() -> None:
    consents = [_consent(True, 0, Purpose.MARKETING), _consent(False, 1)]
    assert not granted(consents, Channel.EMAIL, Purpose.MARKETING)


def test_on_the_same_instant_the_purpose_level_choice_wins() -> None:
    consents = [_consent(False, 0, Purpose.SURVEYS), _consent(True, 0)]
    assert not granted(consents, Channel.EMAIL, Purpose.SURVEYS)


def test_keys_of_a_per_channel_map() -> None:
    assert consent_key(_consent(True, 0)) == "email"
    assert consent_key(_consent(True, 0, Purpose.SURVEYS)) == "email:surveys"
