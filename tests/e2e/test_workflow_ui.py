"""The analyst's workflow in a real browser: a company over time, what changed, compare, review then publish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.e2e.server import Live
from tests.support.api import submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.ui import check_accessibility, shot, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("stack", ["sqlite"], indirect=True)]


@pytest.fixture(scope="module")
def watched(live: Live, fixture_dns: LoopbackDNSServer) -> Iterator[tuple[str, list[str]]]:
    """An analyst's key and two completed scans of the fixture company, oldest first."""
    with session_scope(live.stack.settings) as session:  # type: ignore[arg-type]
        _, key = repo.create_api_key(session, "Fund UI", label="Ada Analyst", is_admin=False)
    server = SiteServer.started(pages=30, domain="northwind-ui.test")
    try:
        load_site_zone(fixture_dns, server.site)
        scans = []
        for _ in range(2):
            scan_id = submit(live.stack, server.site.url("www", "/"), key, company_name="Northwind Ledger",
                             primary_criteria="buy-and-build")  # fmt: skip
            assert (
                wait_until(live.stack, scan_id, {"completed", "failed"})["scanRequest"]["status"]
                == "completed"
            )
            scans.append(scan_id)
    finally:
        server.stop()
    yield key, scans


def test_company_page_changes_and_compare(page: Any, live: Live, watched: tuple[str, list[str]]) -> None:
    key, scans = watched
    sign_in(page, live, key)
    page.click("nav >> text=Companies")
    page.wait_for_url(re.compile(r".*/companies$"))
    check_accessibility(page)
    page.click("#companies-table >> text=Northwind Ledger")
    page.wait_for_url(re.compile(r".*/companies/[^/]+$"))
    assert page.locator("#score-history circle").count() == 2
    assert page.locator("#company-scans tbody tr").count() == 2
    page.fill("#every_days", "14")
    page.click("#schedule-save")
    page.wait_for_url(re.compile(r".*/companies/[^/]+#schedule$"))
    assert "Re-scanned every 14 days" in page.inner_text("#schedule")
    check_accessibility(page)
    shot(page, live, "workflow-01-company")
    page.click("#schedule-stop")
    page.wait_for_url(re.compile(r".*/companies/[^/]+#schedule$"))
    assert "Not scheduled" in page.inner_text("#schedule")
    page.locator("#company-scans a", has_text="What changed").first.click()
    page.wait_for_url(re.compile(rf".*/scans/{scans[1]}/changes$"))
    assert page.is_visible("#no-changes")
    check_accessibility(page)
    page.goto(f"{live.url}/scans")
    for scan_id in scans:
        page.check(f"input[name=scan][value='{scan_id}']")
    page.click("#compare-ticked")
    page.wait_for_url(re.compile(r".*/compare\?scan=.*"))
    assert page.locator("#compare-table thead th").count() == 3
    assert page.locator("#technology-matrix tbody tr").count() > 0
    check_accessibility(page)
    shot(page, live, "workflow-02-compare")


def test_review_then_publish(page: Any, live: Live, watched: tuple[str, list[str]]) -> None:
    key, scans = watched
    sign_in(page, live, key)
    report_id = live.stack.client.get(  # type: ignore[attr-defined]
        f"/api/scans/{scans[1]}/report", headers={"Authorization": f"Bearer {key}"}
    ).get_json()["id"]
    page.goto(f"{live.url}/reports/{report_id}")
    page.click("#review-link")
    page.wait_for_url(re.compile(rf".*/reports/{report_id}/review$"))
    check_accessibility(page)
    finding = page.locator("[id^=finding-]").first
    finding.locator("select[name=verdict]").select_option("disputed")
    finding.locator("input[name=comment]").fill("Replaced by the new platform in March.")
    finding.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/review#reviews$"))
    assert "Replaced by the new platform in March." in page.inner_text("[id^=finding-] >> nth=0")
    criterion = page.locator("[id^=criterion-]").first
    criterion.locator("select[name=verdict]").select_option("note")
    criterion.locator("input[name=score]").fill("91")
    criterion.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/review\?error=.*"))
    shot(page, live, "workflow-03-review")
    assert page.is_visible("#review-error"), "an override without a reason is refused"
    criterion = page.locator("[id^=criterion-]").first
    criterion.locator("select[name=verdict]").select_option("note")
    criterion.locator("input[name=comment]").fill("The data room shows a tested DR plan.")
    criterion.locator("input[name=score]").fill("91")
    criterion.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/review#reviews$"))
    page.click("#publish")
    page.wait_for_url(re.compile(r".*/reports/(?!" + report_id + r")[^/]+$"))
    assert "contains analyst judgement" in page.inner_text("#analyst-judgement")
    assert "Ada Analyst" in page.inner_text("#judgement-changes")
    check_accessibility(page)
    shot(page, live, "workflow-04-published")
