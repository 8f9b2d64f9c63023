"""Fixtures: the service's settings pointed at a real SMTP server on a free loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport_notifications.settings import NotificationsSettings
from services.notifications.tests.integration.helpers import MailSink, start_smtp


class SettableClock:
    """The service's injectable clock: it runs like a real one from where a test sets it, so
    retries and waits elapse, and a test moves it to open a delivery window."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    @property
    def now(self) -> datetime:
        return self._anchor + timedelta(seconds=time.monotonic() - self._set_at)

    @now.setter
    def now(self, value: datetime) -> None:
        self._anchor, self._set_at = value, time.monotonic()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def smtp() -> Iterator[tuple[int, MailSink]]:
    controller, sink = start_smtp()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def settings_for(service_env: dict[str, Any], smtp: tuple[int, MailSink]) -> Any:
    def build(**overrides: Any) -> NotificationsSettings:
        fields = {
            **service_env,
            "smtp_port": smtp[0],
            "dispatch_interval_seconds": 0.1,
            "retry_first_delay_seconds": 0.05,
            "retry_max_delay_seconds": 0.2,
            "unknown_contact_retry_seconds": 0.2,
            **overrides,
        }
        return NotificationsSettings(**fields)

    return build
