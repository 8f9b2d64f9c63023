"""Fixtures for the contacts service against the real Kafka broker and MongoDB-wire server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from rapport_contacts.settings import ContactsSettings
from rapport_schemas import topics


class SettableClock:
    """The service's injectable clock; a test moves it to cross a deadline."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(service_env: dict[str, Any]) -> ContactsSettings:
    """Short background intervals so recovery is seen within the test's seconds."""
    return ContactsSettings(
        **service_env,
        outbox_sweep_interval_seconds=0.2,
        outbox_sweep_grace_seconds=0.3,
        sla_check_interval_seconds=0.2,
        view_erasure_sweep_interval_seconds=0.2,
    )


@pytest.fixture
def contacts_topic(namespace: str) -> str:
    return f"{namespace}.{topics.CONTACTS}"


@pytest.fixture
def personal_topic(namespace: str) -> str:
    return f"{namespace}.{topics.CONTACTS_PERSONAL}"


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    def make(**overrides: Any) -> dict[str, Any]:
        return {
            "name": "Ayşe Yılmaz",
            "email": "ayse.yilmaz@example.com.tr",
            "phone": "+905321234567",
            "language": "tr-TR",
            "time_zone": "Europe/Istanbul",
            "country": "TR",
            "currency": "TRY",
            "company": "Örnek Ticaret",
            "segment": {"industry": "retail", "region": "marmara", "tags": ["vip"]},
            **overrides,
        }

    return make


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()
