"""A scan of a host that answers every request with a Cloudflare challenge, through real workers, to its report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.report.content import resolved_thesis
from techscaniq.report.coverage_facts import MAX_BLOCKED_CONFIDENCE_PENALTY
from techscaniq.report.rules import apply_rules, load_rules
from techscaniq.report.scoring import scorecard
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

# Items made for one page: none may come from a challenge page.
PAGE_LEVEL_TYPES = {"page", "fetch_failure", "page_performance", "policy", "contact_channel", "careers_page"}


@pytest.fixture(scope="module")
def portal_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The fixture company, whose portal host answers every request with a challenge."""
    server = SiteServer.started(pages=30, domain="northwind-portal.test")
    load_site_zone(fixture_dns, server.site)
    yield server
    server.stop()


def _evidence(stack: Stack, scan_id: str) -> list[Any]:
    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        return repo.all_evidence(session, scan_id)


def test_a_host_answering_only_challenges_is_reported_as_unseen(
    stack: Stack, portal_site: SiteServer
) -> None:
    facts = portal_site.site.manifest["bot_protection"]
    scan_id = submit(stack, portal_site.site.url("portal", "/"), company_name="Northwind Ledger")
    final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    items = _evidence(stack, scan_id)

    protection = [item for item in items if item.type == "bot_protection"]
    assert [item.data["host"] for item in protection] == [facts["host"]]
    data = protection[0].data
    assert data["vendor"] == facts["vendor"] == "Cloudflare"
    assert data["pages_blocked"] == data["pages_answered"] == data["site_pages_blocked"] >= 1
    assert data["pages_seen"] == 0 and data["outcomes"] == {"challenge": data["pages_blocked"]}
    assert "challenge: header cf-mitigated: challenge" in data["signals"]
    requested = [r for r in portal_site.request_log if r.host == facts["host"]]
    assert data["pages_blocked"] <= len(requested)

    # The challenge pages fed no page-level collector ...
    on_portal = [
        item
        for item in items
        if item.type in PAGE_LEVEL_TYPES and urlsplit(item.source_url).hostname == facts["host"]
    ]
    assert on_portal == []
    # ... and only the protection vendor's technologies came from them (DNS-based ones are site-level).
    technologies = {item.data["name"]: item.data for item in items if item.type == "technology"}
    from_pages = {name for name, tech in technologies.items() if any(m["page"] for m in tech["matches"])}
    assert "Cloudflare" in from_pages
    assert from_pages <= set(facts["technologies_allowed"]), from_pages
    assert not set(facts["technologies_on_page_not_to_report"]) & set(technologies)

    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        report = repo.latest_report(session, scan_id)
        scan = repo.get_scan(session, scan_id)
    assert report is not None
    content = report.content
    blocked = data["pages_blocked"]
    sentence = f"The site answered {blocked} of {blocked} requests with a Cloudflare challenge; these findings rest on 0 pages."
    assert content["coverage"][0]["text"] == sentence
    assert content["coverage"][0]["evidence_ids"] == [protection[0].id]
    assert content["data_gaps"][0]["question"].startswith(sentence)
    # Coverage confidence fell by the whole penalty: every answer was a challenge.
    findings = apply_rules(load_rules(), items)
    unpenalised = scorecard(
        resolved_thesis(scan), findings, [item.type for item in items]
    ).coverage_confidence
    assert content["confidence"]["coverage_confidence"] == max(
        0, unpenalised - MAX_BLOCKED_CONFIDENCE_PENALTY
    )
