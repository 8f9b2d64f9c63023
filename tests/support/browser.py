"""A real headless browser (Debian's chromium driven by Playwright) that cannot reach the internet.

Every request to a host other than loopback is aborted and recorded, so a page that needs a CDN
renders as it would in an air-gapped cluster and the test can name what it tried to load.
Playwright never downloads a browser here: it drives the system executable that
``deploy/local/browser.sh`` installs. A missing browser fails the test; it never skips.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Route, async_playwright

CHROMIUM = Path(os.environ.get("RAPPORT_CHROMIUM", "/usr/bin/chromium"))
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class OfflineBrowser:
    browser: Browser
    blocked: list[str] = field(default_factory=list)

    @asynccontextmanager
    async def context(self, **options: object) -> AsyncIterator[BrowserContext]:
        """A fresh profile whose requests outside loopback are aborted and recorded."""
        context = await self.browser.new_context(**options)  # type: ignore[arg-type]

        async def only_loopback(route: Route) -> None:
            host = urlsplit(route.request.url).hostname or ""
            if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
                await route.continue_()
            else:
                self.blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_loopback)
        try:
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def offline_browser() -> AsyncIterator[OfflineBrowser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `bash deploy/local/browser.sh install`")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield OfflineBrowser(browser)
        finally:
            await browser.close()
