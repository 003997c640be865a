"""Browser fixtures: Debian's Chromium driven by Playwright against the UI served over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.server import Live, LiveServer, ui_app
from tests.support.stack import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1400, "height": 900}


@dataclass
class PageWatch:
    """What a page did that it must not: CSP violations, console errors, requests leaving the app."""

    base_url: str
    problems: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        """Listen to a page's console and requests."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught script error: {error}"))
        page.on("request", self._on_request)

    def _on_console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text:
            self.problems.append(f"console {message.type}: {text}")

    def _on_request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith(("data:", "blob:", "about:"))):
            self.problems.append(f"request outside the app: {url}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The app with real workers behind it, served by a threaded HTTP server."""
    # Configured as a deployment would be: the admin's queue link shows only when Flower has its own origin.
    app = ui_app(stack.settings.with_overrides(flower_host="ops.techscaniq.invalid"))
    with LiveServer(app) as server:
        yield Live(server.url, stack.admin_key, stack, tmp_path_factory.mktemp("ui-screenshots"))


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    """A fresh browser context and page; fails the test on CSP violations, console errors or outside requests."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    watch = PageWatch(live.url)
    watch.attach(opened)
    yield opened
    context.close()
    assert not watch.problems, watch.problems
