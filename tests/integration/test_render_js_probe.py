"""Reading `js` fingerprint chains in the real system Chromium: own data properties only, no page code run."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.render.browser import Renderer, find_chromium
from techscaniq.evidence.render.js_probe import VALUE_CHARS, chains_for, read_chains
from tests.support.http_servers import LoopbackHTTPServer, respond

pytestmark = pytest.mark.integration

# Every trap a hostile page can set records itself in `window.ran`; the probe must leave it empty.
HOSTILE_PAGE = """<!DOCTYPE html><html><head><title>globals</title><script>
window.ran = [];
window.Intercom = function () { window.ran.push("called"); };
window.Intercom.booted = true;
window.jQuery = function () {};
window.jQuery.fn = { jquery: "3.7.1" };
Object.defineProperty(window, "Drift", { get() { window.ran.push("getter"); return { api: 1 }; } });
window.hj = { settings: { } };
Object.defineProperty(window.hj, "secret", { get() { window.ran.push("nested getter"); return "x"; } });
window.Trap = new Proxy({ version: "1" }, {
  get() { window.ran.push("proxy get"); return "1"; },
  getOwnPropertyDescriptor(t, k) { window.ran.push("proxy descriptor"); return Reflect.getOwnPropertyDescriptor(t, k); },
  ownKeys(t) { window.ran.push("proxy keys"); return Reflect.ownKeys(t); },
});
window.Empty = null;
window.count = 2.0;
window.long = "v".repeat(5000);
Object.getOwnPropertyDescriptor = function () { window.ran.push("patched builtin"); return undefined; };
Object.getOwnPropertyNames = function () { window.ran.push("patched builtin"); return []; };
</script></head><body><p>hello</p></body></html>"""
CHAINS = (
    "Intercom",
    "Intercom.booted",
    "jQuery.fn.jquery",
    "Drift",
    "Drift.api",
    "hj.secret",
    "hj.settings",
    "Trap",
    "Trap.version",
    "Empty",
    "count",
    "long",
    "missing.chain",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    executable = find_chromium(Settings())
    assert executable, "the browser tests need the system Chromium (make test-deps)"
    return executable


def _probe(executable: str, html: str, chains: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    async def run() -> tuple[dict[str, str], list[str]]:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
            browser = await playwright.chromium.launch(executable_path=executable, args=args)
            try:
                context = await browser.new_context()
                page = await context.new_page()
                await page.set_content(html)
                found = await read_chains(context, page, chains)
                ran: Any = await page.evaluate("window.ran")
                return found, list(ran)
            finally:
                await browser.close()

    return asyncio.run(run())


def test_chains_are_read_without_running_page_code(chromium: str) -> None:
    found, ran = _probe(chromium, HOSTILE_PAGE, CHAINS)
    assert ran == []  # no getter, proxy trap or patched builtin of the page ran
    assert found["Intercom"] == "true" and found["Intercom.booted"] == "true"
    assert found["jQuery.fn.jquery"] == "3.7.1"  # through a function, as through an object
    assert found["hj.settings"] == "true"
    assert found["count"] == "2"
    assert found["long"] == "v" * VALUE_CHARS
    # Accessors are never read, a proxy shows no properties, null is absent.
    assert not {"Drift", "Drift.api", "hj.secret", "Trap.version", "Empty", "missing.chain"} & set(found)


@pytest.fixture
def settings(fixture_dns: LoopbackDNSServer) -> Settings:
    return Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as running:
        yield running


def test_the_renderer_reads_the_shipped_chains_of_each_page(
    chromium: str, settings: Settings, server: LoopbackHTTPServer, fixture_dns: LoopbackDNSServer
) -> None:
    site = f"globals-{uuid.uuid4().hex[:8]}.example-company.com"
    fixture_dns.set_records(site, "A", ["127.0.0.1"])
    page = b"""<!DOCTYPE html><html><head><title>app</title><script>
window.Vue = { version: "3.4.21" }; window.$crisp = []; window.notAFingerprint = "x";
</script></head><body>app</body></html>"""
    server.route("/", respond(200, page))
    renderer = Renderer(chromium)
    renderer.js_chains = chains_for(settings)
    assert {"Vue.version", "$crisp", "jQuery.fn.jquery"} <= set(renderer.js_chains)
    try:
        with GuardedFetcher(settings, deadline_seconds=5.0) as fetcher:
            rendered = renderer.render(server.url("/", site), fetcher, seconds=20)
    finally:
        renderer.close()
    assert rendered.js == {"Vue": "true", "Vue.version": "3.4.21", "$crisp": "true"}
