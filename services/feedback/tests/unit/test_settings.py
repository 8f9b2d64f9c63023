"""Feedback's privacy settings: v1 copies off by default, an erasure deadline of at most 24 h."""

import pytest
from pydantic import ValidationError

from rapport_feedback.settings import FeedbackSettings


def test_v1_copies_are_off_and_the_deadline_is_a_day_by_default() -> None:
    settings = FeedbackSettings()
    assert (settings.produce_v1_events, settings.erasure_deadline_hours) == (False, 24)


@pytest.mark.parametrize("hours", [0, -1, 24.5, 48])
def test_an_erasure_deadline_outside_0_to_24_hours_is_refused(hours: float) -> None:
    with pytest.raises(ValidationError, match="erasure_deadline_hours"):
        FeedbackSettings(erasure_deadline_hours=hours)


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_FEEDBACK_PRODUCE_V1_EVENTS", "true")
    monkeypatch.setenv("RAPPORT_FEEDBACK_ERASURE_DEADLINE_HOURS", "0.5")
    settings = FeedbackSettings()
    assert (settings.produce_v1_events, settings.erasure_deadline_hours) == (True, 0.5)
