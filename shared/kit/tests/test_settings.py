"""Production refuses a schema base that the events' subscribers cannot reach."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rapport_kit.settings import ServiceSettings
from rapport_schemas.envelope import DEFAULT_SCHEMA_BASE_URL

PRODUCTION = {"environment": "production", "api_keys": {"a-real-key": ["*"]}}


def test_production_accepts_a_public_https_schema_base() -> None:
    settings = ServiceSettings(**PRODUCTION, schema_base_url="https://rapport.example.com/schemas/")
    assert settings.schema_base_url == "https://rapport.example.com/schemas/"


@pytest.mark.parametrize(
    "schema_base_url",
    [
        DEFAULT_SCHEMA_BASE_URL,
        "http://rapport.example.com/schemas/",
        "https://127.0.0.1:8001/schemas/",
        "https://localhost/schemas/",
        "https://contacts.localhost/schemas/",
        "https://[::1]:8001/schemas/",
    ],
)
def test_production_refuses_a_schema_base_subscribers_cannot_reach(schema_base_url: str) -> None:
    with pytest.raises(ValidationError, match="schema_base_url: production needs the public https"):
        ServiceSettings(**PRODUCTION, schema_base_url=schema_base_url)


def test_development_serves_the_schemas_from_the_local_contacts_service() -> None:
    assert ServiceSettings().schema_base_url == DEFAULT_SCHEMA_BASE_URL
