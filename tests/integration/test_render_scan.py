"""Scans of the fixture company's app host through real workers, with and without the real Chromium."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pypdf import PdfReader

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import auth_headers, status, submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(rendering_stack: Stack) -> Stack:
    """Workers that render (the suite's default stack does not)."""
    return rendering_stack


@pytest.fixture(scope="module")
def app_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The fixture company, whose app host holds a tag-manager-only tag and a client-rendered page."""
    server = SiteServer.started(pages=30, domain="northwind-app.test")
    load_site_zone(fixture_dns, server.site)
    yield server
    server.stop()


def _scan(stack: Stack, site: SiteServer, **metadata: Any) -> tuple[list[Any], Any]:
    url = site.site.url("app", "/")
    scan_id = submit(stack, url, company_name="Northwind Ledger", metadata=metadata)
    final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        return repo.all_evidence(session, scan_id), repo.latest_report(session, scan_id)


def test_render_only_facts_are_found_with_rendering_and_reported_unseen_without(
    stack: Stack, app_site: SiteServer
) -> None:
    facts = app_site.site.manifest["rendering"]
    render_only = set(facts["render_only_technologies"])

    items, report = _scan(stack, app_site)
    technologies = {i.data["name"]: i.data for i in items if i.type == "technology"}
    assert render_only <= set(technologies), sorted(technologies)
    for name in render_only:
        assert technologies[name]["seen_in"] == ["rendered"], (name, technologies[name])
        assert all(m["signal"].startswith("rendered ") for m in technologies[name]["matches"])
    # One only a page global shows (a `js` pattern), one only an XHR/fetch host (an `xhr` pattern); both cited.
    summaries = {i.data["name"]: i.summary for i in items if i.type == "technology"}
    for name, chain in facts["js_only_technologies"].items():
        assert {m["signal"] for m in technologies[name]["matches"]} == {"rendered js"}, technologies[name]
        assert f"via rendered js {chain}" in summaries[name], summaries[name]
    for name, host in facts["xhr_only_technologies"].items():
        assert {m["signal"] for m in technologies[name]["matches"]} == {"rendered xhr"}, technologies[name]
        assert technologies[name]["matches"][0]["excerpt"].startswith(host), technologies[name]
    for name, (selector, version) in facts["dom_only_technologies"].items():
        assert {m["signal"] for m in technologies[name]["matches"]} == {"rendered dom"}, technologies[name]
        assert technologies[name]["matches"][0]["key"].startswith(selector), technologies[name]
        assert technologies[name]["version"] == version, technologies[name]
    summary = next(i.data for i in items if i.type == "render_summary")
    assert summary["status"] == "done" and summary["pages_rendered"] >= 2, summary
    assert {"static.hotjar.com", "cdn.optimizely.com"} <= set(summary["third_parties"])
    assert summary["third_parties"]["static.hotjar.com"]["types"] == {"script": 1}
    pages = {i.data["url"]: i.data for i in items if i.type == "rendered_page"}
    directory = app_site.site.url("app", facts["client_rendered_path"])
    partners = {app_site.site.url("app", path) for path in facts["client_rendered_links"]}
    assert partners <= set(pages[directory]["links"])
    # The links that exist only after rendering joined the crawl.
    assert partners <= {i.data["final_url"] for i in items if i.type == "page"}
    assert "nwlTags" in pages[app_site.site.url("app", "/")]["globals"]
    # Lab Core Web Vitals and page weight per page, the site's graded summary, and the report citing it.
    home = pages[app_site.site.url("app", "/")]
    assert home["is_home"] and home["vitals"]["fcp_ms"] > 0 and home["vitals"]["lcp_ms"] > 0, home["vitals"]
    assert home["weight"]["by_type"]["document"]["requests"] == 1 and home["weight"]["bytes"] > 0
    assert home["weight"]["by_type"]["script"]["requests"] >= 1
    vitals = summary["vitals"]
    assert vitals["pages_measured"] >= 2 and vitals["home"]["lcp_ms"] == home["vitals"]["lcp_ms"], vitals
    assert vitals["overall"] in {"good", "needs_improvement", "poor"}
    summary_id = next(i.id for i in items if i.type == "render_summary")
    assert report is not None
    cited = json.dumps(report.content)
    assert summary_id in cited and "Lab measurement on the scanning machine" in cited
    shot = next(i for i in items if i.type == "screenshot")
    assert shot.data["url"] == shot.source_url == app_site.site.url("app", "/") and shot.data["taken_at"]
    assert base64.b64decode(shot.data["png_base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    _the_screenshot_heads_the_report(stack, report, shot)

    items, report = _scan(stack, app_site, render={"pages": 0})
    technologies = {i.data["name"] for i in items if i.type == "technology"}
    assert not render_only & technologies
    summary = next(i.data for i in items if i.type == "render_summary")
    assert summary["status"] == "not_done" and "metadata.render.pages" in summary["reason"]
    assert not [i for i in items if i.type in {"rendered_page", "screenshot"}]
    assert not partners & {i.data["final_url"] for i in items if i.type == "page"}
    assert report is not None
    rows = [row["text"] for row in report.content["coverage"]]
    assert any(text.startswith("Pages were not rendered in a browser") for text in rows), rows
    assert report.content["data_gaps"][0]["topic"] == "Not seen in a browser"
    # Without a picture, one honest line heads the report instead, and there is no image to fetch.
    html = stack.client.get(f"/api/reports/{report.id}.html", headers=auth_headers(stack.admin_key))
    head = html.get_data(as_text=True).split('id="summary"')[0]
    assert (
        "<img" not in head and "No screenshot of the home page: pages were not rendered in a browser" in head
    )
    image = stack.client.get(f"/reports/{report.id}/screenshot.png", headers=auth_headers(stack.admin_key))
    assert image.status_code == 404 and image.mimetype != "image/png"
    page = stack.client.get(f"/reports/{report.id}", headers=auth_headers(stack.admin_key)).get_data(
        as_text=True
    )
    assert "screenshot.png" not in page and "No screenshot of the home page: pages were not rendered" in page


def _the_screenshot_heads_the_report(stack: Stack, report: Any, shot: Any) -> None:
    """The HTML and the PDF open with the picture and its caption; only the report's firm can fetch it."""
    png = base64.b64decode(shot.data["png_base64"])
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        _, same_firm = repo.create_api_key(session, "Admin Org", label="analyst", is_admin=False)
        _, other_firm = repo.create_api_key(session, "Other Capital", label="rival", is_admin=False)
    admin = auth_headers(stack.admin_key)
    assert (
        report.content["screenshot"]["evidence_ids"] == [shot.id]
        and report.content["screenshot"]["cite"] == 1
    )

    html = stack.client.get(f"/api/reports/{report.id}.html", headers=admin).get_data(as_text=True)
    head = html.split('id="summary"')[0]
    image = re.search(
        r'<figure class="screenshot" id="screenshot">\s*<div class="shot-image"><img src="data:image/png;base64,([^"]+)"',
        head,
    )
    assert image is not None and base64.b64decode(image.group(1)) == png
    for part in (shot.data["url"], " UTC", "above the fold, 1280×800", shot.id):
        assert part in head.split('<figure class="screenshot"')[1], part
    markdown = stack.client.get(f"/api/reports/{report.id}.md", headers=admin).get_data(as_text=True)
    assert f"`{shot.id}`" in markdown.split("## 1. Executive summary")[0] and "data:image" not in markdown

    if stack.database.kind == "sqlite":
        # The PDF prints the same HTML (the database only finds the item, checked above on both); printing a
        # whole report costs tens of seconds, so it is done once.
        pdf = stack.client.get(f"/api/reports/{report.id}.pdf", headers=admin)
        assert pdf.status_code == 200
        first_page = PdfReader(io.BytesIO(pdf.get_data())).pages[0]
        assert [picture.image.size for picture in first_page.images] == [(1280, 800)]

    for key, expected in ((stack.admin_key, 200), (same_firm, 200), (other_firm, 404)):
        answer = stack.client.get(f"/reports/{report.id}/screenshot.png", headers=auth_headers(key))
        assert answer.status_code == expected, (key == other_firm, answer.status_code)
        if expected == 200:
            assert answer.mimetype == "image/png" and answer.get_data() == png
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
        else:
            assert png[:64] not in answer.get_data()
    page = stack.client.get(f"/reports/{report.id}", headers=auth_headers(same_firm)).get_data(as_text=True)
    assert f'<img src="/reports/{report.id}/screenshot.png"' in page
    assert shot.data["png_base64"][:200] not in page  # the page links the picture instead of carrying it


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def _worker_browsers(stack: Stack) -> list[int]:
    """The Chromium browser processes our evidence worker started (never another process)."""
    assert stack.evidence_worker.process is not None
    browsers = []
    for pid in _descendants(stack.evidence_worker.process.pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                parts = handle.read().split(b"\0")
        except OSError:
            continue
        if any(p.startswith(b"--techscaniq-renderer=") for p in parts) and not any(
            p.startswith(b"--type=") for p in parts
        ):
            browsers.append(pid)
    return browsers


def test_a_renderer_killed_mid_scan_costs_only_its_page(stack: Stack, app_site: SiteServer) -> None:
    app_site.response_delay_seconds = 0.4  # every answer slower: each page takes seconds to render
    try:
        scan_id = submit(stack, app_site.site.url("app", "/"), company_name="Northwind Ledger")
        deadline = time.monotonic() + 120
        while not str(status(stack, scan_id)["progress"]["evidenceCollection"].get("phase")).startswith(
            "rendering: page"
        ):
            assert time.monotonic() < deadline, status(stack, scan_id)
            time.sleep(0.1)
        browsers = _worker_browsers(stack)
        assert browsers, "the evidence worker's browser was not found"
        for pid in browsers:
            os.kill(pid, signal.SIGKILL)
        final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    finally:
        app_site.response_delay_seconds = 0.0
    assert final["scanRequest"]["status"] == "completed", final
    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        items = repo.all_evidence(session, scan_id)
    summary = next(i.data for i in items if i.type == "render_summary")
    assert summary["pages_failed"] >= 1, summary
    assert {f["code"] for f in summary["failures"]} <= {"browser_crashed", "render_failed", "render_timeout"}
    # The other page was rendered: before the kill, or by the browser relaunched after it.
    assert summary["status"] == "partial" and summary["pages_rendered"] >= 1, summary
