"""Production refuses a survey link customers cannot open and a link key everyone knows."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rapport_notifications.settings import NotificationsSettings

PRODUCTION = {
    "environment": "production",
    "api_keys": {"a-real-key": ["*"]},
    "webhook_secret": "a-real-webhook-secret",
    "link_signing_keys": ["k" * 32],
    "answer_base_url": "https://feedback.example.com/answers",
    "preferences_base_url": "https://contacts.example.com",
    "schema_base_url": "https://contacts.example.com/schemas/",
}


def test_production_accepts_a_public_https_survey_page_and_a_real_key() -> None:
    settings = NotificationsSettings(**PRODUCTION)
    assert settings.link_keys() == [b"k" * 32]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("answer_base_url", "http://feedback.example.com/answers", "answer_base_url"),
        ("answer_base_url", "https://127.0.0.1:8002/answers", "answer_base_url"),
        ("answer_base_url", "https://localhost/answers", "answer_base_url"),
        ("answer_base_url", "https://[::1]/answers", "answer_base_url"),
        ("preferences_base_url", "http://contacts.example.com", "preferences_base_url"),
        ("preferences_base_url", "https://127.0.0.1:8001", "preferences_base_url"),
        ("link_signing_keys", ["dev-link-key-change-me"], "link_signing_keys"),
        ("link_signing_keys", ["short"], "link_signing_keys"),
    ],
)
def test_production_refuses(field: str, value: object, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        NotificationsSettings(**{**PRODUCTION, field: value})


def test_development_ships_a_link_that_reaches_the_local_feedback_service() -> None:
    settings = NotificationsSettings()
    assert settings.answer_base_url == "http://127.0.0.1:8002/answers"
    assert settings.preferences_base_url == "http://127.0.0.1:8001"  # contacts' default port
    assert len(settings.link_keys()) == 1
