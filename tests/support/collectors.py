"""Helpers for collector tests: a scan row to hang a context on, the demo zone on a loopback DNS server, and the
built demo site's canned responses as CrawledPage objects (no server, no network) run through a collector the way
the pipeline does: on_page in crawl order, then finish."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.site import Site, build_site
from techscaniq.domain import EvidenceDraft, EvidenceType, Scan, ScanStatus
from techscaniq.evidence.collectors.base import CollectContext, Collector, CrawledPage
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher


def make_scan(website_url: str, *, scan_id: str = "scan-1", company: str = "Northwind Ledger") -> Scan:
    """A processing scan of the demo company, as the pipeline hands it to collectors."""
    now = datetime(2025, 11, 3, tzinfo=UTC)
    return Scan(
        id=scan_id,
        org_id="org-1",
        company_name=company,
        website_url=website_url,
        primary_criteria="digital-transformation",
        thesis={},
        thesis_tags=[],
        requestor_name=None,
        organization_name=None,
        company_description=None,
        metadata={},
        status=ScanStatus.PROCESSING,
        error_code=None,
        error_message=None,
        cancel_requested_at=None,
        created_at=now,
        updated_at=now,
        finished_at=None,
        created_by_key_id=None,
    )


def load_site_zone(dns_server: LoopbackDNSServer, site: Site) -> None:
    """Serve the site's zone (zone-file text, TXT quoted) from a loopback DNS server."""
    for name, records in site.dns_zone().items():
        for rtype, values in records.items():
            dns_server.set_records(name, rtype, values)


SITE_PORT = 8080


@lru_cache(maxsize=1)
def demo_site() -> Site:
    """The 30-page demo site (built once per test session)."""
    return build_site(port=SITE_PORT, pages=30)


def page_classes(site: Site) -> dict[str, str]:
    """URL → page class as the manifest plants it."""
    return {url: cls for cls, urls in site.manifest["pages"].items() for url in urls}


def crawled_page(site: Site, url: str, page_class: str | None = None, *, depth: int = 1) -> CrawledPage:
    """A CrawledPage for one site URL, built from the canned response (status, headers, body)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    response = site.lookup(host, parts.path or "/")
    assert response is not None, url
    content_type = (response.header("Content-Type") or "").split(";")[0].strip().lower() or None
    fetch = FetchResult(
        requested_url=url,
        final_url=url,
        status=response.status,
        headers=list(response.headers),
        body=response.body,
        content_type=content_type,
        encoded_bytes=len(response.body),
        decoded_bytes=len(response.body),
        http_version="HTTP/1.1",
        ip="127.0.0.1",
        timings={"dns_ms": 1.5, "connect_ms": 0.7, "first_byte_ms": 12.0, "total_ms": 15.0},
        attempts=1,
    )
    html = fetch.text if content_type == "text/html" else ""
    return CrawledPage(
        url=url,
        requested_url=url,
        host=host,
        page_class=page_class or page_classes(site).get(url, "other"),
        depth=depth,
        fetch=fetch,
        html=html,
        discovered_via="link",
        sitemap_lastmod=None,
    )


def site_pages(site: Site) -> list[CrawledPage]:
    """Every HTML page of the manifest, home first, in a stable crawl order."""
    home = site.manifest["home"]
    urls = [home, *sorted(u for urls in site.manifest["pages"].values() for u in urls if u != home)]
    return [crawled_page(site, url) for url in urls]


def failed_page(url: str, code: str, page_class: str = "other") -> CrawledPage:
    """A page whose fetch failed before any response."""
    fetch = FetchResult(requested_url=url, final_url=url, error_code=code, error_message=f"{code} happened")
    return CrawledPage(url, url, urlsplit(url).hostname or "", page_class, 1, fetch, "", "link")


def scan_for(site: Site) -> Scan:
    """A scan row for the demo company."""
    return make_scan(site.manifest["home"], scan_id="scan-1")


def offline_settings(dns_address: str) -> Settings:
    """Settings whose fetcher refuses every loopback answer: unit tests never connect to anything."""
    return Settings().with_overrides(allow_networks=(), dns_servers=(dns_address,))


def make_context(site: Site, fetcher: GuardedFetcher) -> CollectContext:
    """A collect context for the demo site."""
    return CollectContext(
        scan=scan_for(site),
        settings=fetcher.settings,
        fetcher=fetcher,
        root_url=site.manifest["home"],
        registrable_domain=site.domain,
    )


def run(collector: Collector, pages: Sequence[CrawledPage], context: CollectContext) -> list[EvidenceDraft]:
    """Every item of one uninterrupted pass: on_page in order, then finish."""
    items: list[EvidenceDraft] = []
    for page in pages:
        items.extend(collector.on_page(page, context))
    items.extend(collector.finish(context))
    return items


def run_resumed(
    factory: Callable[[], Collector], pages: Sequence[CrawledPage], split: int, context: CollectContext
) -> list[EvidenceDraft]:
    """The same pass interrupted after `split` pages: state JSON round-tripped into a fresh instance."""
    first = factory()
    items: list[EvidenceDraft] = []
    for page in pages[:split]:
        items.extend(first.on_page(page, context))
    saved = json.loads(json.dumps(first.state()))
    second = factory()
    second.restore(saved)
    for page in pages[split:]:
        items.extend(second.on_page(page, context))
    items.extend(second.finish(context))
    return items


def by_key(items: Sequence[EvidenceDraft]) -> dict[tuple[str, str], EvidenceDraft]:
    """Items by (type, key), the first wins, as storage dedups them."""
    out: dict[tuple[str, str], EvidenceDraft] = {}
    for item in items:
        out.setdefault((str(item.type), item.dedup_key), item)
    return out


def of_type(items: Sequence[EvidenceDraft], type_: EvidenceType) -> list[EvidenceDraft]:
    """The deduplicated items of one type."""
    return [item for (kind, _), item in by_key(items).items() if kind == type_]


def assert_well_formed(items: Sequence[EvidenceDraft]) -> None:
    """Every item has a source URL, a confidence in 0..1, a title, a summary and JSON-safe data."""
    for item in items:
        assert item.source_url.startswith("http"), item
        assert 0.0 < item.confidence <= 1.0, item
        assert item.title and item.summary and item.dedup_key, item
        json.dumps(item.data)
