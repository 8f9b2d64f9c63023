"""All four services in one process, each with its own database, and a real SMTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime

import httpx
from opentelemetry.sdk.trace import SpanProcessor

from rapport_contacts.bootstrap import create_app as contacts_app
from rapport_contacts.settings import ContactsSettings
from rapport_feedback.bootstrap import create_app as feedback_app
from rapport_feedback.settings import FeedbackSettings
from rapport_metrics.bootstrap import create_app as metrics_app
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.bootstrap import create_app as notifications_app
from rapport_notifications.settings import NotificationsSettings
from tests.support.http_server import free_port, listening
from tests.support.services import AUTH, serving

__all__ = ["Inbox", "free_port", "running_suite"]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@asynccontextmanager
async def running_suite(
    service_env: dict[str, object],
    spans: tuple[SpanProcessor, ...],
    smtp_port: int,
    *,
    listen: Mapping[str, int] | None = None,
    feedback_clock: Callable[[], datetime] | None = None,
    notifications: Mapping[str, object] | None = None,
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Every service started (lifespans run) and an authenticated client for each.

    Services named in ``listen`` serve on that loopback port (uvicorn), for a real browser;
    the others are called in-process. ``notifications`` overrides its settings (e.g. where
    the links in its messages point).
    """
    clock = {"clock": feedback_clock} if feedback_clock else {}
    namespace = str(service_env["mongo_database"])

    def env(service: str) -> dict[str, object]:
        return {**service_env, "mongo_database": f"{namespace}_{service}"}

    apps = {
        "contacts": contacts_app(ContactsSettings(**env("contacts")), span_processors=spans),
        "feedback": feedback_app(
            FeedbackSettings(**env("feedback")), span_processors=spans, **clock
        ),
        "notifications": notifications_app(
            NotificationsSettings(
                **env("notifications"),
                smtp_port=smtp_port,
                quiet_hours_start="00:00",
                quiet_hours_end="00:00",
                **(notifications or {}),
            ),
            span_processors=spans,
        ),
        "metrics": metrics_app(MetricsSettings(**env("metrics")), span_processors=spans),
    }
    async with AsyncExitStack() as stack:
        clients = {}
        for name, app in apps.items():
            if listen and name in listen:
                url = await stack.enter_async_context(listening(app, port=listen[name]))
                client = httpx.AsyncClient(base_url=url, headers=AUTH)
                clients[name] = await stack.enter_async_context(client)
            else:
                clients[name] = await stack.enter_async_context(serving(app))
        yield clients
