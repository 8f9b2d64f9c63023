"""Every service's /docs, /redoc and /asyncapi render in a real browser that cannot leave loopback.

The pages must find every asset on the service itself (an air-gapped cluster reaches no CDN): the
browser aborts and records any other request, and the test asks for the rendered operation list,
not only a 200.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI
from playwright.async_api import Page

from rapport_contacts.bootstrap import create_app as contacts_app
from rapport_contacts.settings import ContactsSettings
from rapport_feedback.bootstrap import create_app as feedback_app
from rapport_feedback.settings import FeedbackSettings
from rapport_metrics.bootstrap import create_app as metrics_app
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.bootstrap import create_app as notifications_app
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas.catalog import EVENT_MODELS
from tests.support.browser import offline_browser
from tests.support.http_server import listening

pytestmark = pytest.mark.suite

# What each page shows once it rendered: the CSS selector of one listed item.
RENDERED = {
    "/docs": ".opblock-summary-path",  # Swagger UI: one block per operation
    "/redoc": "li[data-item-id*='operation/']",  # ReDoc: one side-menu entry per operation
    "/asyncapi": "table tr:has(td)",  # the event catalogue: one row per event type
}


def apps(service_env: dict[str, object]) -> dict[str, FastAPI]:
    def env(service: str) -> dict[str, object]:
        return {**service_env, "mongo_database": f"{service_env['mongo_database']}_{service}"}

    return {
        "contacts": contacts_app(ContactsSettings(**env("contacts"))),
        "feedback": feedback_app(FeedbackSettings(**env("feedback"))),
        "notifications": notifications_app(NotificationsSettings(**env("notifications"))),
        "metrics": metrics_app(MetricsSettings(**env("metrics"))),
    }


async def rendered_items(page: Page, url: str, selector: str) -> list[str]:
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    await page.wait_for_selector(selector, state="attached", timeout=30_000)
    return [text.strip() for text in await page.locator(selector).all_inner_texts()]


async def test_docs_pages_render_without_the_internet(service_env):
    served = apps(service_env)
    counts: dict[str, dict[str, int]] = {}
    async with AsyncExitStack() as stack:
        urls = {
            name: await stack.enter_async_context(listening(app)) for name, app in served.items()
        }
        browser = await stack.enter_async_context(offline_browser())
        async with browser.context() as context:
            page = await context.new_page()
            errors: list[str] = []
            refused: list[
                str
            ] = []  # what the pages' Content-Security-Policy kept them from loading
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            for name, base in urls.items():
                operations = sum(len(item) for item in served[name].openapi()["paths"].values())
                expected = {
                    "/docs": operations,
                    "/redoc": operations,
                    "/asyncapi": len(EVENT_MODELS),
                }
                for path, selector in RENDERED.items():
                    items = await rendered_items(page, base + path, selector)
                    counts.setdefault(name, {})[path] = len(items)
                    assert items, f"{name}{path} rendered no operation"
                    assert len(items) == expected[path], f"{name}{path}: {len(items)} items"
            assert errors == []
        assert browser.blocked == [], f"requests off loopback: {browser.blocked}"
    for name, pages in counts.items():
        print(f"{name}: " + ", ".join(f"{path} {count} items" for path, count in pages.items()))
    print(f"requests off loopback: 0; refused by the pages' CSP: {len(refused)}")
    for text in sorted(set(refused)):
        print(f"  {text}")
