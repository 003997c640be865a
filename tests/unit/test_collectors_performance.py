"""The performance collector: per-page timings and sizes from the fetch record, site-level weight, assets,
third-party hosts and error rates; browser metrics stay a data gap."""

from __future__ import annotations

import pytest

from techscaniq.demo.site import Site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.performance import PerformanceCollector, percentile
from techscaniq.evidence.fetch import GuardedFetcher
from tests.support.collectors import (
    assert_well_formed,
    by_key,
    crawled_page,
    demo_site,
    failed_page,
    make_context,
    of_type,
    run,
    run_resumed,
    site_pages,
)


@pytest.fixture
def site() -> Site:
    return demo_site()


@pytest.fixture
def items(site: Site, offline_fetcher: GuardedFetcher) -> list[EvidenceDraft]:
    pages = [
        *site_pages(site),
        crawled_page(site, site.url("www", "/missing")),
        failed_page(site.url("www", "/x"), "read_timeout"),
    ]
    return run(PerformanceCollector(), pages, make_context(site, offline_fetcher))


def test_page_performance_from_the_fetch_record(site: Site, items: list[EvidenceDraft]) -> None:
    assert_well_formed(items)
    pages = {item.dedup_key: item.data for item in of_type(items, EvidenceType.PAGE_PERFORMANCE)}
    assert len(pages) == len(site_pages(site)) + 1  # the 404 has a response; the timeout has none
    pricing = pages[site.manifest["pricing"]["url"]]
    assert (pricing["dns_ms"], pricing["connect_ms"], pricing["first_byte_ms"], pricing["total_ms"]) == (
        1.5,
        0.7,
        12.0,
        15.0,
    )
    assert pricing["http_version"] == "HTTP/1.1" and pricing["status"] == 200
    assert pricing["cache"]["cache-control"] == site.manifest["headers"]["www"]["Cache-Control"]
    assert pricing["cache"]["x-cache"] == site.manifest["headers"]["www"]["X-Cache"]
    assert "etag" in pricing["cache"]
    assert "js.stripe.com" in pricing["third_party_hosts"]
    assert pricing["render_blocking_head_scripts"] >= 1  # the consent stub loads synchronously in <head>


def test_site_performance(site: Site, items: list[EvidenceDraft]) -> None:
    [summary] = of_type(items, EvidenceType.SITE_PERFORMANCE)
    data = summary.data
    total = len(site_pages(site)) + 2
    assert data["failed_fetches"] == 1
    assert data["error_rate"] == round(2 / total, 3)
    assert data["server_error_rate"] == 0.0
    assert "www.googletagmanager.com" in data["third_party_hosts"]
    assert data["median_page_bytes"] > 0 and data["p90_page_bytes"] >= data["median_page_bytes"]
    assert (data["lcp_ms"], data["cls"], data["inp_ms"]) == (None, None, None)
    assert data["data_gaps"]


def test_percentile() -> None:
    assert percentile([], 0.9) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    whole = run(PerformanceCollector(), pages, context)
    assert by_key(run_resumed(PerformanceCollector, pages, len(pages) // 2, context)) == by_key(whole)
