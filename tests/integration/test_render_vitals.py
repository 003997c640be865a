"""Lab Core Web Vitals and page weight measured by the real system Chromium on a loopback page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.render.browser import Renderer, find_chromium
from techscaniq.evidence.render.vitals import page_weight
from tests.support.http_servers import LoopbackHTTPServer, respond

pytestmark = pytest.mark.integration

LONG_TASK_MS = 300
# After the first contentful paint: push the text down by a block inserted above it (a shift no input caused),
# then keep the main thread busy for LONG_TASK_MS in one task.
SCRIPT = f"""
new PerformanceObserver((list, observer) => {{
  observer.disconnect();
  setTimeout(() => {{
    const block = document.createElement('div');
    block.style.height = '300px';
    document.body.insertBefore(block, document.getElementById('lead'));
    setTimeout(() => {{ const until = performance.now() + {LONG_TASK_MS}; while (performance.now() < until) {{}} }}, 50);
  }}, 100);
}}).observe({{ type: 'paint', buffered: true }});
""".encode()
PAGE = b"""<!DOCTYPE html><html><head><title>vitals</title><link rel="stylesheet" href="/site.css"></head>
<body><p id="lead">The lead paragraph paints first and is then pushed down.</p>
<p>A second paragraph, also inside the viewport.</p><img src="/logo.gif" width="10" height="10">
<script src="/app.js"></script><script>fetch('/api/data').catch(() => {});</script></body></html>"""


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    executable = find_chromium(Settings())
    assert executable, "the browser tests need the system Chromium (make test-deps)"
    running = Renderer(executable)
    running.start()
    yield running
    running.close()


def test_a_deliberate_layout_shift_and_long_task_are_measured(
    renderer: Renderer, fixture_dns: LoopbackDNSServer
) -> None:
    site = f"vitals-{uuid.uuid4().hex[:8]}.example-company.com"
    fixture_dns.set_records(site, "A", ["127.0.0.1"])
    settings = Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))
    with LoopbackHTTPServer() as server:
        server.route("/", respond(200, PAGE))
        server.route("/app.js", respond(200, SCRIPT, content_type="application/javascript"))
        server.route("/site.css", respond(200, b"body { font-family: sans-serif; }", content_type="text/css"))
        server.route("/logo.gif", respond(200, b"GIF89a" + b"\0" * 100, content_type="image/gif"))
        server.route("/api/data", respond(200, b'{"ok": true}', content_type="application/json"))
        with GuardedFetcher(settings, deadline_seconds=10.0) as fetcher:
            page = renderer.render(server.url("/", site), fetcher, seconds=20)
    vitals = page.vitals
    assert vitals is not None, "the observer recorded nothing"
    assert vitals["fcp_ms"] is not None and vitals["fcp_ms"] > 0
    assert vitals["lcp_ms"] is not None and vitals["lcp_ms"] >= vitals["fcp_ms"]
    assert vitals["layout_shifts"] >= 1 and vitals["cls"] > 0.01, vitals
    assert vitals["tbt_ms"] is not None and vitals["tbt_ms"] >= LONG_TASK_MS - 50, vitals
    assert vitals["longest_task_ms"] >= LONG_TASK_MS
    assert vitals["grades"]["tbt_ms"] == "needs_improvement"  # 250-ish ms: over 200, under 600
    assert vitals["window_ms"] > vitals["fcp_ms"]
    # The observer's record is not one of the page's globals.
    assert not [name for name in page.globals if "vitals" in name.lower() or "techscaniq" in name.lower()]

    weight = page_weight(page.requests)
    types = weight["by_type"]
    assert types["document"]["requests"] == 1 and types["document"]["bytes"] == len(PAGE)
    assert types["script"] == {"requests": 1, "bytes": len(SCRIPT), "transferred": len(SCRIPT)}
    assert types["stylesheet"]["requests"] == 1 and types["image"]["requests"] == 1
    assert types["xhr_fetch"]["requests"] == 1
    assert weight["requests"] == 5 and weight["bytes"] >= len(PAGE) + len(SCRIPT) + 100
