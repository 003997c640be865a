"""The crawler against the loopback Northwind Ledger site (names from the fixture DNS server), asserted
against the site's manifest and the server's request log."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import RequestRecord, SiteServer
from techscaniq.demo.site import DISALLOWED_PREFIX
from techscaniq.evidence.collectors.base import CrawledPage, PageClass
from techscaniq.evidence.crawler import (
    PROBE_PATHS,
    Crawler,
    CrawlLimits,
    CrawlProgress,
    CrawlSummary,
    FetchedPageRecord,
    StopReason,
)
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.page_class import blog_section, is_blog_post
from techscaniq.evidence.sitemaps import collect_sitemaps
from techscaniq.evidence.urls import canonical_url
from tests.support.collectors import load_site_zone
from tests.support.http_servers import LoopbackHTTPServer, respond

pytestmark = pytest.mark.integration

SITE_PAGES = 60
DEFAULT_LIMITS = CrawlLimits()
NOT_PAGES = ("/robots.txt", "/sitemap.xml", "/sitemap-pages.xml", "/sitemap-blog.xml.gz")


class StopCrawl(Exception):
    """Raised by a test's checkpoint to stop the crawl, as a cancelled scan does."""


@dataclass
class CrawlRun:
    pages: list[CrawledPage] = field(default_factory=list)
    outlinks: dict[str, list[str]] = field(default_factory=dict)
    threads: set[int] = field(default_factory=set)
    progress: list[CrawlProgress] = field(default_factory=list)
    summary: CrawlSummary | None = None
    requests: list[RequestRecord] = field(default_factory=list)

    @property
    def requested(self) -> set[str]:
        return {page.requested_url for page in self.pages}

    def records(self) -> list[FetchedPageRecord]:
        return [FetchedPageRecord.from_page(p, self.outlinks[p.requested_url]) for p in self.pages]


def load_zone(dns: LoopbackDNSServer, server: SiteServer) -> None:
    load_site_zone(dns, server.site)


@pytest.fixture(scope="module")
def settings(fixture_dns: LoopbackDNSServer) -> Settings:
    return Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))


@pytest.fixture(scope="module")
def site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    with SiteServer.started(pages=SITE_PAGES) as server:
        load_zone(fixture_dns, server)
        yield server


def crawl(
    server: SiteServer,
    settings: Settings,
    limits: CrawlLimits = DEFAULT_LIMITS,
    *,
    already: Sequence[FetchedPageRecord] = (),
    stop_after_pages: int | None = None,
    deadline_seconds: float | None = None,
    root_url: str | None = None,
) -> CrawlRun:
    """One crawl of the site with a fresh fetcher; the run's requests are the server log it caused."""
    server.reset()
    run = CrawlRun()

    def on_page(page: CrawledPage, outlinks: list[str]) -> None:
        run.pages.append(page)
        run.outlinks[page.requested_url] = outlinks
        run.threads.add(threading.get_ident())

    def checkpoint() -> None:
        if stop_after_pages is not None and len(run.pages) >= stop_after_pages:
            raise StopCrawl

    with GuardedFetcher(settings, backoff_base_seconds=0.05, deadline_seconds=deadline_seconds) as fetcher:
        crawler = Crawler(fetcher, root_url or server.site.url("www"), limits, already_fetched=already)
        try:
            run.summary = crawler.run(on_page, checkpoint=checkpoint, progress=run.progress.append)
        except StopCrawl:
            assert stop_after_pages is not None, "the crawl stopped without being asked to"
        finally:
            run.requests = server.request_log
    if stop_after_pages is not None:
        assert run.summary is None, "the checkpoint's exception did not stop the crawl"
    return run


def page_requests(run: CrawlRun) -> list[tuple[str, str]]:
    return [(r.host, r.path) for r in run.requests if r.path not in NOT_PAGES]


def canon(url: str) -> str:
    found = canonical_url(url)
    assert found is not None, url
    return found


def canonical_set(urls: Sequence[str]) -> set[str]:
    return {c for c in (canonical_url(u) for u in urls) if c is not None}


@pytest.fixture(scope="module")
def full(site: SiteServer, settings: Settings) -> CrawlRun:
    """The module's uninterrupted crawl with the default limits, shared by several tests."""
    return crawl(site, settings)


def test_every_planted_page_class_is_reached(site: SiteServer, full: CrawlRun) -> None:
    assert full.summary is not None and full.summary.stop_reason is StopReason.COMPLETE
    for planted, urls in site.site.manifest["pages"].items():
        if urls:
            assert canonical_set(urls) & full.requested, f"no {planted} page was fetched"
    by_class = Counter(page.page_class for page in full.pages)
    for page_class in (
        PageClass.PRICING,
        PageClass.SECURITY,
        PageClass.CAREERS,
        PageClass.DOCS,
        PageClass.STATUS,
    ):
        assert by_class[page_class] > 0


def test_robots_disallow_is_never_requested(site: SiteServer, full: CrawlRun) -> None:
    disallowed = site.site.manifest["robots"]["disallowed_urls"]
    assert not [r for r in full.requests if r.path.startswith(DISALLOWED_PREFIX)]
    assert full.summary is not None
    assert canonical_set(disallowed) <= set(full.summary.robots_skipped_urls)
    assert full.summary.pages_skipped_robots >= len(disallowed)


def test_no_url_is_fetched_twice(full: CrawlRun) -> None:
    counts = Counter((r.host, r.path) for r in full.requests)
    assert [key for key, n in counts.items() if n > 1] == []
    assert len(full.requested) == len(full.pages)


def test_discovery_reads_robots_sitemaps_and_probes(site: SiteServer, full: CrawlRun) -> None:
    manifest = site.site.manifest
    assert full.summary is not None
    first = full.requests[0]
    assert (first.host, first.path) == (manifest["hosts"]["www"], "/robots.txt")
    assert list(full.summary.sitemap_files) == [manifest["sitemaps"]["index"]] + [
        child["url"] for child in manifest["sitemaps"]["children"]
    ]
    assert full.summary.sitemap_urls == sum(child["url_count"] for child in manifest["sitemaps"]["children"])
    via = {page.requested_url: page.discovered_via for page in full.pages}
    assert via[canon(manifest["home"])] == "seed"
    assert via[canon(manifest["pricing"]["url"])] == "sitemap"
    assert via[canon(manifest["trust"]["security_txt"]["url"])] == "probe"
    lastmods = {page.requested_url: page.sitemap_lastmod for page in full.pages}
    assert lastmods[canon(manifest["pricing"]["url"])] is not None


def test_offsite_job_board_is_followed_within_its_quota(site: SiteServer, full: CrawlRun) -> None:
    board_host = site.site.manifest["hosts"]["jobs"]
    board_pages = [p for p in full.pages if p.host == board_host]
    assert 0 < len(board_pages) <= CrawlLimits().offsite_pages_per_host
    assert all(p.page_class == PageClass.CAREERS for p in board_pages)
    assert all(p.depth == 2 for p in board_pages)  # linked from in-scope pages only


def test_pages_are_handed_over_on_the_callers_thread_with_progress(full: CrawlRun) -> None:
    assert full.threads == {threading.get_ident()}
    assert full.progress and full.progress[-1].phase == "done"
    fetched = [p.pages_fetched for p in full.progress]
    assert fetched == sorted(fetched)
    assert full.progress[-1].pages_fetched == len(full.pages)
    assert full.summary is not None and full.summary.pages_fetched == len(full.pages)
    assert full.summary.bytes >= sum(p.fetch.decoded_bytes for p in full.pages)
    html_pages = [p for p in full.pages if p.is_html]
    assert html_pages and all(p.fetch.content_type == "text/html" for p in html_pages)


def test_the_same_pages_whatever_the_thread_timing(
    site: SiteServer, settings: Settings, full: CrawlRun
) -> None:
    serial = crawl(site, settings, CrawlLimits(per_host_concurrency=1, scan_concurrency=1))
    assert serial.requested == full.requested


def test_a_page_cap_keeps_the_evidence_bearing_pages(site: SiteServer, settings: Settings) -> None:
    manifest = site.site.manifest
    run = crawl(site, settings, CrawlLimits(max_pages=25))
    assert run.summary is not None and run.summary.stop_reason is StopReason.PAGE_CAP
    assert len(run.pages) == 25
    assert len(page_requests(run)) == 25
    for planted in ("pricing", "security", "careers", "docs", "about"):
        assert canonical_set(manifest["pages"][planted]) & run.requested, (
            f"the cap dropped every {planted} page"
        )
    # A tenth of the cap stays for the newest blog posts; nothing else of low value gets in.
    blog = [p for p in run.pages if p.page_class == PageClass.BLOG]
    assert len(blog) == 25 // 10
    assert not [p for p in run.pages if p.page_class == PageClass.OTHER]


def test_a_resumed_crawl_refetches_nothing_and_ends_where_an_uninterrupted_one_does(
    site: SiteServer, settings: Settings, full: CrawlRun
) -> None:
    # What the pipeline stored before the "crash": the pages handed over until the stop.
    records = crawl(site, settings, stop_after_pages=20).records()
    assert len(records) == 20
    resumed = crawl(site, settings, already=records)
    stored = {r.url for r in records}
    assert not resumed.requested & stored
    requested_again = {(r.host, r.path) for r in resumed.requests}
    assert not {(urlsplit(u).hostname, urlsplit(u).path) for u in stored} & requested_again
    assert resumed.requested | stored == full.requested
    assert resumed.summary is not None and resumed.summary.pages_resumed == 20


def test_a_raising_checkpoint_stops_the_crawl_with_no_further_fetch(
    site: SiteServer, settings: Settings
) -> None:
    run = crawl(site, settings, stop_after_pages=5)
    assert len(run.pages) == 5
    time.sleep(0.5)  # anything still running would reach the server now
    after = site.request_log
    assert len(after) == len(run.requests)
    # At most the requests already in flight when the stop was seen went out besides the handed pages.
    assert len(page_requests(run)) <= 5 + CrawlLimits().scan_concurrency


def test_a_crawl_from_the_apex_starts_on_the_www_host(
    site: SiteServer, settings: Settings, full: CrawlRun
) -> None:
    run = crawl(site, settings, CrawlLimits(max_pages=5), root_url=site.site.url("apex"))
    assert run.summary is not None
    assert run.summary.home_url == canon(site.site.manifest["home"])
    apex = site.site.manifest["hosts"]["apex"]
    assert [r.path for r in run.requests if r.host == apex] == ["/robots.txt"]


def test_hostile_pages_are_survived(fixture_dns: LoopbackDNSServer, settings: Settings) -> None:
    with SiteServer.started(pages=30, include_hostile=True) as hostile_site:
        load_zone(fixture_dns, hostile_site)
        run = crawl(hostile_site, settings, deadline_seconds=3.0)
        hostile = hostile_site.site.manifest["hostile"]
    assert run.summary is not None and run.summary.stop_reason is StopReason.COMPLETE
    pages = {p.requested_url: p for p in run.pages}
    for entry in hostile["pages"]:
        assert canon(entry["url"]) in pages, f"{entry['name']} was not handed over"
    by_name = {entry["name"]: pages[canon(entry["url"])] for entry in hostile["pages"]}
    assert by_name["redirect_loop"].fetch.error_code in ("redirect_loop", "too_many_redirects")
    assert by_name["oversized"].fetch.error_code == "body_too_large"
    assert by_name["gzip_bomb"].fetch.error_code == "body_too_large"
    assert by_name["slow_drip"].fetch.error_code == "deadline_exceeded"
    assert by_name["server_error"].fetch.error_code == "http_500_gave_up"
    assert by_name["rate_limited"].status == 200 and by_name["rate_limited"].is_html
    assert by_name["binary_as_html"].html == ""
    assert by_name["broken_html"].is_html
    for page in (
        by_name[n] for n in ("redirect_loop", "oversized", "gzip_bomb", "slow_drip", "server_error")
    ):
        assert page.html == ""
    failures = run.summary.failures
    for code in ("body_too_large", "deadline_exceeded", "http_500_gave_up", "binary_content"):
        assert failures.get(code, 0) >= 1, code
    assert failures.get("redirect_loop", 0) + failures.get("too_many_redirects", 0) >= 1


# -- a tiny scripted site for the details ------------------------------------------------------------------


@pytest.fixture
def small(fixture_dns: LoopbackDNSServer) -> Iterator[tuple[LoopbackHTTPServer, str]]:
    name = f"www.crawl-{uuid.uuid4().hex[:8]}.com"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with LoopbackHTTPServer() as server:
        yield server, name


def test_links_honour_base_href_and_skip_non_web_schemes(
    small: tuple[LoopbackHTTPServer, str], settings: Settings
) -> None:
    server, name = small
    home = (
        b'<html><head><title>Home</title><base href="/app/"></head><body>'
        b'<a href="pricing">Pricing</a> <a href="mailto:sales@x.com">mail</a> <a href="tel:+1">call</a>'
        b'<a href="javascript:void(0)">js</a> <a rel="nofollow" href="/report.pdf">Annual report</a>'
        b'<a href="https://www.linkedin.com/company/x">LinkedIn</a></body></html>'
    )
    server.route("/", respond(200, home), name=name)
    server.route("/robots.txt", respond(404, b"", "text/plain"), name=name)
    server.route(
        "/app/pricing", respond(200, b"<html><title>Plans</title><body>$10</body></html>"), name=name
    )
    server.route("/report.pdf", respond(200, b"%PDF-1.7 ...", "application/pdf"), name=name)
    pages: dict[str, tuple[CrawledPage, list[str]]] = {}
    with GuardedFetcher(settings) as fetcher:
        summary = Crawler(fetcher, server.url("/", name), CrawlLimits()).run(
            lambda page, links: pages.__setitem__(urlsplit(page.url).path, (page, links)),
            checkpoint=lambda: None,
            progress=lambda p: None,
        )
    origin = server.url("", name)
    assert pages["/"][1] == [
        f"{origin}/app/pricing",
        f"{origin}/report.pdf",
        "https://www.linkedin.com/company/x",
    ]
    assert pages["/app/pricing"][0].page_class == PageClass.PRICING
    pdf = pages["/report.pdf"][0]
    assert pdf.html == "" and pdf.fetch.body.startswith(b"%PDF") and pdf.status == 200
    assert not [r for r in server.seen() if "linkedin" in r.host]
    assert summary.stop_reason is StopReason.COMPLETE


def test_an_unreachable_robots_txt_disallows_everything(
    small: tuple[LoopbackHTTPServer, str], settings: Settings
) -> None:
    server, name = small
    server.route("/robots.txt", respond(503, b"down", "text/plain"), name=name)
    server.route("/", respond(200, b"<a href='/pricing'>p</a>"), name=name)
    handed: list[CrawledPage] = []
    with GuardedFetcher(settings, backoff_base_seconds=0.01) as fetcher:
        summary = Crawler(fetcher, server.url("/", name), CrawlLimits()).run(
            lambda page, links: handed.append(page), checkpoint=lambda: None, progress=lambda p: None
        )
    assert handed == []
    assert {r.path for r in server.seen()} == {"/robots.txt"}
    assert summary.pages_skipped_robots >= 1


def test_sitemap_index_nesting_is_capped(small: tuple[LoopbackHTTPServer, str], settings: Settings) -> None:
    server, name = small
    for level in range(1, 5):
        child = server.url(f"/s{level + 1}.xml", name)
        index = f"<sitemapindex><sitemap><loc>{child}</loc></sitemap></sitemapindex>".encode()
        server.route(f"/s{level}.xml", respond(200, index, "application/xml"), name=name)
    urlset = f"<urlset><url><loc>{server.url('/deep', name)}</loc></url></urlset>".encode()
    server.route("/s5.xml", respond(200, urlset, "application/xml"), name=name)
    with GuardedFetcher(settings) as fetcher:
        collection = collect_sitemaps(fetcher, [server.url("/s1.xml", name)])
    assert [r.path for r in server.seen()] == ["/s1.xml", "/s2.xml", "/s3.xml"]
    assert collection.entries == []
    assert [e.code for e in collection.errors] == ["sitemap_index_too_deep"]


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (CrawlLimits(max_bytes=1), StopReason.BYTE_CAP),
        (CrawlLimits(max_seconds=0.0), StopReason.TIME_CAP),
        (CrawlLimits(max_pages=1), StopReason.PAGE_CAP),
    ],
)
def test_scan_caps_stop_the_crawl(
    small: tuple[LoopbackHTTPServer, str], settings: Settings, limits: CrawlLimits, reason: StopReason
) -> None:
    server, name = small
    server.route("/robots.txt", respond(200, b"User-agent: *\nDisallow:\n", "text/plain"), name=name)
    server.route("/", respond(200, b"<a href='/pricing'>Pricing</a>"), name=name)
    server.route("/pricing", respond(200, b"<h1>Plans</h1>"), name=name)
    handed: list[str] = []
    with GuardedFetcher(settings) as fetcher:
        summary = Crawler(fetcher, server.url("/", name), limits).run(
            lambda page, links: handed.append(page.requested_url),
            checkpoint=lambda: None,
            progress=lambda p: None,
        )
    assert summary.stop_reason is reason
    assert "/pricing" not in {r.path for r in server.seen()}
    assert handed == ([server.url("/", name)] if reason is StopReason.PAGE_CAP else [])


def test_only_the_newest_blog_posts_are_sampled(site: SiteServer, settings: Settings, full: CrawlRun) -> None:
    def posts(run: CrawlRun) -> dict[str, list[CrawledPage]]:
        sections: dict[str, list[CrawledPage]] = {}
        for page in run.pages:
            if is_blog_post(page.page_class, page.requested_url):
                sections.setdefault(blog_section(page.requested_url), []).append(page)
        return sections

    every_post = posts(full)
    assert every_post and all(len(found) > 2 for found in every_post.values())
    sampled = posts(crawl(site, settings, CrawlLimits(blog_sample=2)))
    assert sampled.keys() == every_post.keys()
    for section, found in every_post.items():
        newest = sorted(found, key=lambda p: (p.sitemap_lastmod or "", p.requested_url), reverse=True)
        assert {p.sitemap_lastmod for p in sampled[section]} == {p.sitemap_lastmod for p in newest[:2]}
        assert len(sampled[section]) == 2


def test_at_most_two_requests_in_flight_per_host(
    small: tuple[LoopbackHTTPServer, str], settings: Settings
) -> None:
    server, name = small
    lock = threading.Lock()
    in_flight = {"now": 0, "most": 0}

    def slow_page(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
        time.sleep(0.05)
        with lock:
            in_flight["now"] -= 1
        respond(200, b"<h1>Integration</h1>")(handler)

    links = "".join(f"<a href='/integrations/app-{i}'>App {i}</a>" for i in range(12))
    server.route("/", respond(200, links.encode()), name=name)
    server.route("/robots.txt", respond(404, b"", "text/plain"), name=name)
    for i in range(12):
        server.route(f"/integrations/app-{i}", slow_page, name=name)
    handed: list[str] = []
    with GuardedFetcher(settings) as fetcher:
        Crawler(fetcher, server.url("/", name), CrawlLimits(scan_concurrency=8)).run(
            lambda page, links: handed.append(page.requested_url),
            checkpoint=lambda: None,
            progress=lambda p: None,
        )
    assert len(handed) == 1 + 12 + len(PROBE_PATHS)  # home, its links, the probe paths
    assert in_flight["most"] == 2


def test_pages_waiting_for_the_loop_hold_at_most_a_few_parsed_trees(
    small: tuple[LoopbackHTTPServer, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selectolax.lexbor import LexborHTMLParser

    from techscaniq.evidence import crawler

    server, name = small
    links = "".join(f"<a href='/integrations/app-{i}'>App {i}</a>" for i in range(24))
    server.route("/", respond(200, links.encode()), name=name)
    server.route("/robots.txt", respond(404, b"", "text/plain"), name=name)
    for i in range(24):
        page = f"<html><head><title>App {i}</title></head><body><a href='/'>home</a></body></html>"
        server.route(f"/integrations/app-{i}", respond(200, page.encode()), name=name)
    loop_thread = threading.get_ident()
    lock = threading.Lock()
    ahead: set[int] = set()  # trees parsed on pool threads and not yet handed over
    most = {"ahead": 0}

    def counting_parser(html: str) -> LexborHTMLParser:
        tree = LexborHTMLParser(html)
        if threading.get_ident() != loop_thread:
            with lock:
                ahead.add(id(tree))
                most["ahead"] = max(most["ahead"], len(ahead))
        return tree

    def slow_loop(page: CrawledPage, outlinks: list[str]) -> None:
        with lock:
            ahead.discard(id(page.tree))
        title = page.tree.css_first("title") if page.tree is not None else None
        titles[page.requested_url] = title.text() if title is not None else None
        time.sleep(0.03)  # the collectors' work: every fetch finishes long before the loop takes it

    monkeypatch.setattr(crawler, "LexborHTMLParser", counting_parser)
    titles: dict[str, str | None] = {}
    with GuardedFetcher(settings) as fetcher:
        Crawler(
            fetcher, server.url("/", name), CrawlLimits(per_host_concurrency=16, scan_concurrency=16)
        ).run(slow_loop, checkpoint=lambda: None, progress=lambda p: None)
    # Unbounded, about 15 of the 16 fetches in flight wait parsed for the loop.
    assert 1 <= most["ahead"] <= crawler.PARSED_AHEAD == 2
    # Pages fetched past those places are parsed when the loop takes them: every one has its tree.
    assert {url: titles[url] for url in titles if "/integrations/" in url} == {
        server.url(f"/integrations/app-{i}", name): f"App {i}" for i in range(24)
    }
