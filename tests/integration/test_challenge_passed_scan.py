"""A scan of a host whose JavaScript challenge the real Chromium passes: the scan continues in the browser."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

RENDER_PAGES = 3


@pytest.fixture
def stack(rendering_stack: Stack) -> Stack:
    """Workers that render (the suite's default stack does not)."""
    return rendering_stack


@pytest.fixture(scope="module")
def gate_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The fixture company, whose gate host answers a client without its cookie with a JavaScript challenge."""
    server = SiteServer.started(pages=30, domain="northwind-gate.test")
    load_site_zone(fixture_dns, server.site)
    yield server
    server.stop()


def test_a_challenge_the_browser_passes_is_continued_in_the_browser(
    stack: Stack, gate_site: SiteServer
) -> None:
    facts = gate_site.site.manifest["bot_protection_passable"]
    gate_site.reset()
    # Three of the four pages behind the challenge: the continuation keeps to the render page limit.
    url = gate_site.site.url("gate", "/")
    scan_id = submit(
        stack, url, company_name="Northwind Ledger", metadata={"render": {"pages": RENDER_PAGES}}
    )
    final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        items = repo.all_evidence(session, scan_id)
        report = repo.latest_report(session, scan_id)
    every = {gate_site.site.url("gate", path): page_class for path, page_class in facts["pages"].items()}

    # The crawler met the challenge on every request; the browser passed it and rendered pages behind it.
    [protection] = [i for i in items if i.type == "bot_protection"]
    data = protection.data
    assert data["host"] == facts["host"] and data["vendor"] == facts["vendor"]
    assert data["pages_blocked"] == data["pages_answered"] >= 1
    summary = next(i.data for i in items if i.type == "render_summary")
    behind = {page: every[page] for page in summary["past_challenge"]}
    assert url in behind and len(behind) == RENDER_PAGES and set(behind) < set(every), summary
    assert data["pages_rendered_past_challenge"] == RENDER_PAGES == data["pages_seen"]
    # The page the limit kept out is counted, not forgotten.
    left = sorted(set(every) - set(behind))
    assert summary["past_challenge_not_rendered"] == len(left) == 1, summary
    assert summary["past_challenge_not_rendered_urls"] == left
    # The browser carried the cookie that passed: once through, no page behind it met the challenge again.
    served = sorted((r for r in gate_site.request_log if r.host == facts["host"]), key=lambda r: r.time)
    through = next(n for n, r in enumerate(served) if r.status == 200)
    inner = set(facts["pages"]) - {"/"}
    assert not [r for r in served[through:] if r.path in inner and r.status != 200], served[through:]
    passed = {r.path for r in served if r.status == 200 and r.path in facts["pages"]}
    assert passed == {urlsplit(page).path for page in behind}, served
    # A page's own script went with the cookie too, as a browser's would.
    assert [r.status for r in served if r.path == "/assets/jquery-3.7.1.min.js"][:1] == [200], served

    # Their DOMs reached the page classifier and technology detection, each item saying where it came from.
    pages = {i.data["final_url"]: i.data for i in items if i.type == "page"}
    assert {url: pages[url]["page_class"] for url in behind} == behind
    assert not (set(every) - set(behind)) & set(pages)  # the page past the limit was not seen at all
    assert all(
        pages[url]["seen_in"] == "rendered" and pages[url]["discovered_via"] == "rendered" for url in behind
    )
    technologies = {i.data["name"]: i.data for i in items if i.type == "technology"}
    assert technologies[facts["technology_past_challenge"]]["seen_in"] == ["rendered"]
    # The root is graded from the browser's document, not from the challenge the crawler got.
    [score] = [i.data for i in items if i.type == "observatory_score"]
    assert score["grade"] is not None and score["seen_in"] == "rendered", score
    assert "x-frame-options" not in score["failed_tests"]

    assert report is not None
    blocked, answered = data["pages_blocked"], data["pages_answered"]
    sentence = (
        f"The site answered {blocked} of {answered} requests with a Cloudflare challenge; the browser passed it "
        f"and rendered {RENDER_PAGES} pages, but 1 more page found behind it was not rendered (the render page "
        f"limit was reached); these findings rest on {RENDER_PAGES} pages."
    )
    assert report.content["coverage"][0]["text"] == sentence
