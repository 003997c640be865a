"""A whole scan of the realistic fixture company through real workers: 200+ items, hostile pages, crash recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from techscaniq import theses
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.domain import EvidenceCategory
from techscaniq.report.writer import write_report
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import status, submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

# Categories a site-only scan must fill (collection bookkeeping is always there too).
EXPECTED_CATEGORIES = {c.value for c in EvidenceCategory}


def _serve(fixture_dns: LoopbackDNSServer, **build: Any) -> SiteServer:
    server = SiteServer.started(**build)
    load_site_zone(fixture_dns, server.site)
    return server


@pytest.fixture(scope="module")
def hostile_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The fixture company with its hostile pages, on loopback names served by the fixture DNS."""
    server = _serve(fixture_dns, pages=60, include_hostile=True, domain="northwind-ledger.test")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def calm_site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The same company without hostile pages, under another domain, for the crash test."""
    server = _serve(fixture_dns, pages=40, domain="northwind-calm.test")
    yield server
    server.stop()


def _keys(stack: Stack, scan_id: str) -> list[tuple[str, str]]:
    with session_scope(stack.settings, write=False) as session:
        return [(item.type, item.dedup_key) for item in repo.all_evidence(session, scan_id)]


def _evidence(stack: Stack, scan_id: str) -> list[Any]:
    with session_scope(stack.settings, write=False) as session:
        return repo.all_evidence(session, scan_id)


def test_the_fixture_company_yields_cited_evidence_in_every_category(
    stack: Stack, hostile_site: SiteServer
) -> None:
    scan_id = submit(stack, hostile_site.site.url("www", "/"), company_name="Northwind Ledger")
    final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    items = _evidence(stack, scan_id)
    assert len(items) >= 200
    assert {item.category for item in items} >= EXPECTED_CATEGORIES
    assert all(item.source_url and 0.0 <= item.confidence <= 1.0 for item in items)
    assert final["progress"]["evidenceCollection"]["itemsCollected"] == len(items)
    assert final["progress"]["evidenceCollection"]["pagesFetched"] > 40
    # The disallowed path was never requested.
    for disallowed in hostile_site.site.manifest["robots"]["disallowed_urls"]:
        assert not hostile_site.was_requested(disallowed)
    # Each hostile page was survived, and those that cannot succeed are recorded with the failure's code.
    failures = {
        item.data["requested_url"]: item.data["error_code"] for item in items if item.type == "fetch_failure"
    }
    must_fail = {"redirect_loop", "oversized", "slow_drip", "gzip_bomb", "binary_as_html", "server_error"}
    hostile = {page["name"]: page["url"] for page in hostile_site.site.manifest["hostile"]["pages"]}
    assert must_fail <= set(hostile)
    assert {name: hostile[name] in failures for name in must_fail} == dict.fromkeys(must_fail, True), failures
    assert failures[hostile["server_error"]] in {"http_500", "http_500_gave_up"}
    _every_stock_criterion_is_scored_and_weights_matter(stack, scan_id, items)


def test_a_killed_evidence_worker_is_replaced_and_the_scan_matches_an_uninterrupted_one(
    stack: Stack, calm_site: SiteServer
) -> None:
    url = calm_site.site.url("www", "/")
    clean_id = submit(stack, url, company_name="Northwind Calm")
    assert wait_until(stack, clean_id, {"completed", "failed"})["scanRequest"]["status"] == "completed"
    clean = _keys(stack, clean_id)

    calm_site.response_delay_seconds = 0.15
    try:
        crashed_id = submit(stack, url, company_name="Northwind Calm")
        deadline = time.monotonic() + 60
        while status(stack, crashed_id)["progress"]["evidenceCollection"].get("pagesFetched", 0) < 8:
            assert time.monotonic() < deadline, status(stack, crashed_id)
            time.sleep(0.1)
        stack.evidence_worker.kill()
        fetched_before = status(stack, crashed_id)["progress"]["evidenceCollection"]["pagesFetched"]
        calm_site.response_delay_seconds = 0.0
        stack.evidence_worker.start()
        final = wait_until(stack, crashed_id, {"completed", "failed", "cancelled"})
    finally:
        calm_site.response_delay_seconds = 0.0
    assert final["scanRequest"]["status"] == "completed", final
    assert 8 <= fetched_before < final["progress"]["evidenceCollection"]["pagesFetched"]
    resumed = _keys(stack, crashed_id)
    assert len(resumed) == len(set(resumed)), "duplicate evidence after the crash"
    assert set(resumed) == set(clean)
    with session_scope(stack.settings, write=False) as session:
        assert repo.count_reports(session, crashed_id) == 1
        events = repo.list_events(session, crashed_id, limit=5000)
    assert any("handed to another worker" in event.message for event in events)


def _every_stock_criterion_is_scored_and_weights_matter(
    stack: Stack, scan_id: str, evidence: list[Any]
) -> None:
    """The same evidence under each stock thesis: every criterion scored, and the totals differ."""
    with session_scope(stack.settings, write=False) as session:
        scan = repo.get_scan(session, scan_id)
    totals = {}
    for thesis in theses.list_theses():
        snapshot = theses.resolve_thesis(thesis.slug, None, None).to_dict()
        written = write_report(replace(scan, primary_criteria=thesis.slug, thesis=snapshot), evidence)
        criteria = written.content["scores"]["criteria"]
        assert {c["id"] for c in criteria} == {c.id for c in thesis.criteria}
        unscored = [c["id"] for c in criteria if c.get("score") is None]
        assert unscored == [], (thesis.slug, unscored)
        totals[thesis.slug] = written.score
    assert len(set(totals.values())) > 1, totals
