"""The UI in a real browser: sign-in, the scan form, live progress, the cited report, cancel, escaping."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from tests.e2e.server import Live
from tests.support.api import submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.sites import LoopbackSite
from tests.support.ui import check_accessibility, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("stack", ["sqlite"], indirect=True)]
SCAN_TIMEOUT_MS = 90_000
HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def test_sign_in_and_out(page: Any, live: Live) -> None:
    page.goto(f"{live.url}/scans/new")
    page.wait_for_url(re.compile(r".*/signin\?next=/scans/new"))
    check_accessibility(page)
    page.fill("#api_key", "tsq_not-a-key")
    page.keyboard.press("Enter")
    assert "unknown or revoked" in page.inner_text("#api_key-error")
    assert page.get_attribute("#api_key", "aria-invalid") == "true"
    shot(page, live, "01-sign-in-error")
    page.fill("#api_key", live.admin_key)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/scans/new$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "techscaniq_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.is_visible("a[href='/flower/']")  # admins see the queue dashboard link
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r".*/signin$"))
    page.goto(f"{live.url}/scans")
    page.wait_for_url(re.compile(r".*/signin\?next=/scans$"))


def test_bad_input_shows_field_errors(page: Any, live: Live) -> None:
    sign_in(page, live)
    page.goto(f"{live.url}/scans/new")
    check_accessibility(page)
    shot(page, live, "02-request-form")
    page.click("#submit-scan")  # client-side checks first
    assert page.is_visible("#company_name-error") and page.is_visible("#website_url-error")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    # The API's own field errors, placed next to the fields: a private address is refused by the server.
    page.fill("#company_name", "Acme Analytics")
    page.fill("#website_url", "http://10.1.2.3/")
    page.click("#submit-scan")
    page.wait_for_selector("#website_url-error:not([hidden])")
    assert "private" in page.inner_text("#website_url-error")
    assert page.get_attribute("#website_url", "aria-invalid") == "true"
    assert page.is_hidden("#company_name-error")
    # A custom thesis whose weights do not add up to 100: the live sum says so and submission is refused.
    page.check("input[name=primary_criteria][value=custom]")
    assert page.is_visible("#custom-thesis")
    assert "100 / 100" in page.inner_text("#weight-sum")
    weights = page.locator("#criteria-rows input[data-key=weight]")
    weights.nth(2).fill("20")
    assert "90 / 100" in page.inner_text("#weight-sum") and "10 to allocate" in page.inner_text("#weight-sum")
    page.fill("#custom_name", "Platform play")
    page.click("#submit-scan")
    assert "exactly 100" in page.inner_text("#criteria-error")
    check_accessibility(page)
    shot(page, live, "03-form-errors")
    assert page.url.endswith("/scans/new")


def _watch_progress(page: Any, live: Live) -> list[tuple[int, int, int, int]]:
    """Sample (evidence bar, report bar, items, feed length) until the page navigates to the report."""
    samples: list[tuple[int, int, int, int]] = []
    deadline = time.monotonic() + SCAN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline and "/reports/" not in page.url:
        try:
            sample = page.evaluate(
                "() => [document.getElementById('step-evidence-bar').value, "
                "document.getElementById('step-report-bar').value, "
                "parseInt(document.getElementById('stat-items').textContent, 10), "
                "document.querySelectorAll('#evidence-feed li').length]"
            )
            if sample[3] and not any(earlier[3] for earlier in samples):
                shot(page, live, "04-progress-live")
            samples.append(tuple(sample))
        except Exception:  # noqa: BLE001 - the page is navigating away
            break
        page.wait_for_timeout(100)
    return samples


def test_a_scan_from_the_form_to_the_cited_report(page: Any, live: Live) -> None:
    sign_in(page, live)
    with LoopbackSite(home_delay_seconds=2.5) as site:
        page.goto(f"{live.url}/scans/new")
        page.fill("#company_name", "Acme Analytics")
        page.fill("#website_url", site.url)
        page.fill("#company_description", "Revenue intelligence for subscription businesses")
        page.click("label.thesis-card:has(input[value=buy-and-build])")
        page.fill("#requestor_name", "Dana Analyst")
        page.click("#submit-scan")
        page.wait_for_url(re.compile(r".*/scans/[0-9a-f-]+/progress$"))
        scan_id = page.url.split("/")[-2]
        samples = _watch_progress(page, live)
        page.wait_for_url(re.compile(r".*/reports/[0-9a-f-]+$"), timeout=SCAN_TIMEOUT_MS, wait_until="commit")
    # The page opened while evidence was still being collected, then the bars, counter and feed moved.
    assert samples and samples[0][0] < 100 and samples[0][1] == 0, samples[:3]
    assert samples[-1][0] == samples[-1][1] == 100, samples[-3:]
    assert samples[-1][2] > samples[0][2] and samples[-1][3] > samples[0][3], (samples[0], samples[-1])
    for earlier, later in pairwise(samples):
        assert later[0] >= earlier[0] and later[2] >= earlier[2]

    page.wait_for_selector("#evidence-table")
    check_accessibility(page)
    shot(page, live, "05-report")
    assert page.inner_text("h1") == "Acme Analytics"
    assert page.locator("#evidence-table tbody tr").count() > 3
    # A numbered citation opens its evidence in place.
    citation = page.locator("a.cite").first
    first_id = citation.get_attribute("data-evidence-ids").split()[0]
    citation.click()
    assert page.is_visible("#evidence-popover")
    row_title = page.inner_text(f"#ev-{first_id} summary")
    assert row_title in page.inner_text("#evidence-popover .popover-title")
    shot(page, live, "06-citation-open", full=False)
    page.keyboard.press("Escape")
    assert page.is_hidden("#evidence-popover")
    # Filters: a category, then a search that matches nothing.
    category = page.locator("#evidence-category option").nth(1).get_attribute("value")
    page.select_option("#evidence-category", category)
    shown = page.locator("#evidence-table tbody tr:visible")
    assert shown.count() >= 1
    assert all(c == category for c in shown.evaluate_all("rows => rows.map(r => r.dataset.category)"))
    assert "Showing" in page.inner_text("#evidence-count")
    page.select_option("#evidence-category", "")
    page.fill("#evidence-search", "zz-nothing-matches-this")
    assert page.is_visible("#evidence-none") and page.locator("#evidence-table tbody tr:visible").count() == 0
    page.fill("#evidence-search", "")
    # Downloads: the PDF (when its route exists), Markdown and JSON links.
    report_id = page.url.rsplit("/", 1)[-1]
    pdf = page.get_attribute("a:has-text('PDF')", "href")
    assert pdf == f"/api/reports/{report_id}.pdf"
    assert page.get_attribute("a:has-text('Markdown')", "href") == f"/api/reports/{report_id}.md"
    with page.expect_download() as json_download:
        page.click("a:has-text('JSON')")
    assert b'"scan_id"' in Path(json_download.value.path()).read_bytes()
    if page.request.get(live.url + pdf).headers.get("content-type", "").startswith("application/pdf"):
        with page.expect_download() as pdf_download:
            page.click("a:has-text('PDF')")
        assert Path(pdf_download.value.path()).read_bytes()[:5] == b"%PDF-"
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, live, "07-report-mobile")
    # Opening the progress page late shows the same, finished state.
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live.url}/scans/{scan_id}")
    page.wait_for_url(re.compile(rf".*/scans/{scan_id}/progress$"))
    assert page.inner_text("#scan-status") == "Completed"
    assert page.is_visible("#report-link") and page.locator("#evidence-feed li").count() >= 1
    assert page.get_attribute("#step-evidence-bar", "value") == "100"
    page.goto(f"{live.url}/scans?q=acme")
    assert page.locator("#scans-table tbody tr").count() >= 1
    check_accessibility(page)
    shot(page, live, "08-scans-list")


@pytest.fixture(scope="module")
def company_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The realistic fixture company, on a loopback name the fixture DNS serves: enough evidence to decide."""
    server = SiteServer.started(pages=40, domain="northwind-ui.test")
    load_site_zone(fixture_dns, server.site)
    yield server
    server.stop()


def json_recommendation(report: dict[str, Any]) -> dict[str, Any]:
    """The recommendation of a report as the API serves it."""
    return dict(report["content"]["executive_summary"]["recommendation"])


def test_the_recommendation_says_why_for_this_company(
    page: Any, live: Live, company_site: SiteServer
) -> None:
    scan_id = submit(live.stack, company_site.site.url("www", "/"), company_name="Northwind Ledger")
    final = wait_until(live.stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    report_id = final["progress"]["reportGeneration"]["reportId"]
    sign_in(page, live)
    page.goto(f"{live.url}/reports/{report_id}")
    page.wait_for_selector("#evidence-table")
    content = page.request.get(f"{live.url}/api/reports/{report_id}").json()
    recommendation = json_recommendation(content)
    assert recommendation["decision"] and recommendation["reasons"], recommendation
    check_accessibility(page)
    shot(page, live, "11-recommendation", full=False)

    box = page.locator("#recommendation")
    assert box.locator("h2").inner_text() == recommendation["decision"]
    assert box.locator(".decision-because").inner_text() == f"Because {recommendation['because']}."
    # Why: one reason per test of the rule, in order, with its verdict; the rule text is only a secondary line.
    reasons = box.locator(".reasons > li")
    assert reasons.count() == len(recommendation["reasons"]) == 3
    for index, reason in enumerate(recommendation["reasons"]):
        shown = reasons.nth(index)
        assert reason["text"] in shown.inner_text()
        assert ("Passes" if reason["passed"] else "Fails") in shown.locator(".verdict").inner_text()
    assert "Recommendation rule:" not in page.inner_text("#report")
    assert box.locator(".rule-details").get_attribute("open") is None
    method_link = box.locator(".rule-details a").get_attribute("href")
    assert method_link == "/method#recommendation-rule-deterministic"
    # Conditions: each mitigation cites its risk and links to its row of the risk register.
    conditions = box.locator(".conditions > li")
    assert conditions.count() == len(recommendation["conditions"])
    assert bool(recommendation["conditions"]) == (recommendation["decision"] == "Proceed with conditions")
    for index, condition in enumerate(recommendation["conditions"]):
        shown = conditions.nth(index)
        assert condition["text"] in shown.inner_text()
        if condition.get("risk"):
            assert page.locator(f"#risk-{condition['risk']}").count() == 1
            assert shown.locator(".risk-ref").get_attribute("href") == f"#risk-{condition['risk']}"
    # The total's reason cites the findings that move it (in number order); the first opens its evidence in place.
    total = reasons.nth(0)
    cited = sorted(set(recommendation["reasons"][0]["cites"]))
    markers = total.locator("a.cite")
    assert markers.count() == min(len(cited), 12) > 0
    marker = markers.first
    assert marker.get_attribute("data-number") == str(cited[0])
    evidence_ids = marker.get_attribute("data-evidence-ids").split()
    referenced = next(r for r in content["content"]["references"] if r["number"] == cited[0])
    assert evidence_ids == referenced["evidence_ids"]
    marker.click()
    assert page.is_visible("#evidence-popover")
    assert page.text_content("#popover-ref").startswith(f"Citation [{cited[0]}]")
    titles = page.locator("#evidence-popover .popover-title").all_inner_texts()
    assert page.inner_text(f"#ev-{evidence_ids[0]} summary") in titles
    shot(page, live, "12-recommendation-citation", full=False)
    page.keyboard.press("Escape")
    assert page.is_hidden("#evidence-popover")
    assert page.evaluate("document.activeElement.dataset.number") == str(cited[0])
    page.set_viewport_size({"width": 390, "height": 844})
    box.scroll_into_view_if_needed()
    shot(page, live, "13-recommendation-mobile", full=False)
    page.set_viewport_size({"width": 1400, "height": 900})
    # The secondary line opens the rule, and its link lands on the rule in the method.
    box.locator(".rule-details summary").click()
    assert "Decline" in box.locator(".rule-details").inner_text()
    box.locator(".rule-details a").click()
    page.wait_for_url(re.compile(r".*/method#recommendation-rule-deterministic$"))
    assert page.is_visible("#recommendation-rule-deterministic")


def test_cancel_a_running_scan(page: Any, live: Live) -> None:
    sign_in(page, live)
    with LoopbackSite(home_delay_seconds=6) as site:
        page.goto(f"{live.url}/scans/new")
        page.fill("#company_name", "Slow Corp")
        page.fill("#website_url", site.url)
        page.click("#submit-scan")
        page.wait_for_url(re.compile(r".*/progress$"))
        page.wait_for_selector("#step-evidence[data-status=active]", timeout=SCAN_TIMEOUT_MS)
        page.click("#cancel-scan")
        page.wait_for_selector("#outcome:not([hidden])", timeout=SCAN_TIMEOUT_MS)
        assert "cancelled" in page.inner_text("#outcome").lower()
        assert page.inner_text("#scan-status") == "Cancelled"
        assert page.locator("#cancel-scan").count() == 0
        shot(page, live, "09-cancelled")


class HostileSite:
    """A loopback site whose title and text are markup meant to run in whoever displays them."""

    def __init__(self) -> None:
        body = f"<!doctype html><html><head><title>{HOSTILE}</title></head><body><h1>{HOSTILE}</h1></body></html>"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = body.encode() if self.path == "/" else b"not found"
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> HostileSite:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile_site() -> Iterator[HostileSite]:
    """The hostile site, running."""
    with HostileSite() as site:
        yield site


def test_markup_from_a_scanned_site_never_runs(page: Any, live: Live, hostile_site: HostileSite) -> None:
    sign_in(page, live)
    page.goto(f"{live.url}/scans/new")
    page.fill("#company_name", HOSTILE)
    page.fill("#website_url", hostile_site.url)
    page.click("#submit-scan")
    page.wait_for_url(re.compile(r".*/reports/[0-9a-f-]+$"), timeout=SCAN_TIMEOUT_MS, wait_until="commit")
    page.wait_for_selector("#evidence-table")
    assert page.inner_text("h1") == HOSTILE  # shown as text
    assert HOSTILE in page.inner_text("#evidence-table")
    for path in ("", "/scans"):
        if path:
            page.goto(live.url + path)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    page.go_back()
    page.wait_for_selector("#evidence-table")
    shot(page, live, "10-hostile-escaped")
    hostile_row = page.locator("#evidence-table tbody tr", has_text="<script>").first
    hostile_row.locator("summary").click()
    markers = page.locator("a.cite")
    if markers.count():
        markers.first.click()
        assert page.is_visible("#evidence-popover")
    assert page.evaluate("window.__pwned") is None
