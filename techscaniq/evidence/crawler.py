"""The polite, resumable, deterministic crawl of one company's web presence (docs/evidence.md §2).

Discovery runs in rounds. Round 0 is the home page, after robots.txt and the sitemaps were read; the probe
paths follow. Each later round takes the frontier as it stood when the round began: the best priority group
present (evidence-bearing pages, then other pages, then blog posts), ordered by priority then URL, within the
page budget, the blog sample and the off-site quotas. Pages of a round are fetched in parallel, but what a round
selects depends only on the pages of earlier rounds, so the set of fetched URLs does not depend on thread timing,
and a resumed crawl replays the pages it already has (their recorded outlinks) instead of fetching them again.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from enum import StrEnum

from selectolax.lexbor import LexborHTMLParser

from techscaniq.evidence.bot_protection import NOT_PROTECTED, BotCheck, check_response
from techscaniq.evidence.collectors.base import CrawledPage, PageClass
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind, parse_retry_after
from techscaniq.evidence.heap import release_free_memory
from techscaniq.evidence.host_budget import HostBudget
from techscaniq.evidence.page_class import (
    BLOG_GROUP,
    GROUP_WEIGHT,
    blog_section,
    classify,
    is_blog_post,
    priority,
)
from techscaniq.evidence.robots import RobotsPolicy, fetch_robots
from techscaniq.evidence.sitemaps import SitemapEntry, SitemapError, collect_sitemaps
from techscaniq.evidence.urls import (
    canonical_url,
    in_scope,
    is_offsite_evidence_url,
    registrable_domain,
    url_host,
    url_origin,
)

MIB = 1024 * 1024
PROBE_PATHS = (
    "/privacy",
    "/terms",
    "/security",
    "/trust",
    "/legal",
    "/careers",
    "/jobs",
    "/status",
    "/docs",
    "/developers",
    "/api",
    "/integrations",
    "/partners",
    "/pricing",
    "/about",
    "/.well-known/security.txt",
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MAX_OUTLINKS_PER_PAGE = 500
MAX_ANCHOR_TEXTS_PER_URL = 8
MAX_ANCHOR_CHARS = 120
BINARY_SNIFF_BYTES = 2048
BINARY_CONTROL_SHARE = 0.05
PROGRESS_INTERVAL_SECONDS = 0.25
IDLE_CHECKPOINT_SECONDS = 1.0
WAIT_SLICE_SECONDS = 0.25
DEFAULT_BACKOFF_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 60.0
# With a long Crawl-delay, one request at a time is what the site asked for.
SERIAL_CRAWL_DELAY_SECONDS = 1.0
# Pages the pool threads parse before the main loop takes them (a lexbor tree is about 12 times its page, and
# every finished fetch waits for the one loop); a page fetched past these is parsed when the loop takes it.
PARSED_AHEAD = 2
# A host whose shared budget is spent (other scans hold its slots) is asked again after this long.
BUDGET_RETRY_SECONDS = 0.05
# How long a cancelled crawl waits for requests already on the wire before it gives them up.
CANCEL_GRACE_SECONDS = 2.0
BLOG_RESERVE_DIVISOR = 10
VIA_ORDER = {"seed": 0, "sitemap": 1, "link": 2, "probe": 3}


class StopReason(StrEnum):
    """Why the crawl ended."""

    COMPLETE = "complete"
    PAGE_CAP = "page_cap"
    BYTE_CAP = "byte_cap"
    TIME_CAP = "time_cap"


class CrawlPhase(StrEnum):
    """The discovery step the crawl is in."""

    ROBOTS = "robots"
    SITEMAPS = "sitemaps"
    HOME = "home"
    PAGES = "pages"
    DONE = "done"


@dataclass(frozen=True)
class CrawlLimits:
    """Per-scan caps and politeness (defaults from docs/evidence.md §2)."""

    max_pages: int = 200
    max_bytes: int = 100 * MIB
    max_seconds: float = 1800
    per_host_concurrency: int = 2
    scan_concurrency: int = 8
    obey_crawl_delay: bool = True
    blog_sample: int = 10
    offsite_pages_per_host: int = 10


@dataclass(frozen=True)
class FetchedPageRecord:
    """What the pipeline stored for a page already handed over (for resuming); url is the requested URL."""

    url: str
    depth: int
    page_class: str
    status: int | None
    outlinks: tuple[str, ...]

    @classmethod
    def from_page(cls, page: CrawledPage, outlinks: Sequence[str]) -> FetchedPageRecord:
        """The record to store for a page handed to on_page."""
        return cls(page.requested_url, page.depth, page.page_class, page.status, tuple(outlinks))


@dataclass(frozen=True)
class CrawlProgress:
    """A progress snapshot: pages handed over, pages the crawl expects in all, decoded bytes, phase."""

    pages_fetched: int
    pages_planned: int
    bytes: int
    phase: str


@dataclass(frozen=True)
class CrawlSummary:
    """What the crawl did; JSON-friendly apart from the tuples."""

    pages_fetched: int
    pages_resumed: int
    pages_skipped_robots: int
    failures: dict[str, int]
    bytes: int
    seconds: float
    stop_reason: StopReason
    hosts: tuple[str, ...]
    home_url: str
    root_domain: str
    robots_skipped_urls: tuple[str, ...] = ()
    sitemap_files: tuple[str, ...] = ()
    sitemap_urls: int = 0
    sitemap_errors: tuple[SitemapError, ...] = ()
    sampled_out: int = 0
    offsite_over_quota: int = 0


@dataclass
class _Candidate:
    url: str
    depth: int
    via: str
    page_class: str
    priority: int
    lastmod: str | None = None

    @property
    def group(self) -> int:
        return self.priority // GROUP_WEIGHT

    def order(self) -> tuple[int, tuple[int, ...], str]:
        """Priority, then (for blog posts) newest first, then URL."""
        newest_first = _descending(self.lastmod or "") if is_blog_post(self.page_class, self.url) else ()
        return self.priority, newest_first, self.url


@dataclass
class _Work:
    candidate: _Candidate
    anchors: tuple[str, ...]
    future: Future[_Fetched | None] | None = None
    budget_token: str | None = None


@dataclass
class _Fetched:
    """A fetch and, for an HTML answer, its text and parsed tree."""

    result: FetchResult
    html: str = ""
    tree: LexborHTMLParser | None = None
    binary: bool = False
    bot_check: BotCheck = NOT_PROTECTED
    parsed_ahead: bool = False  # the tree holds one of the PARSED_AHEAD places


@dataclass
class _Tally:
    pages_fetched: int = 0
    pages_resumed: int = 0
    bytes: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    hosts: set[str] = field(default_factory=set)


def extract_links(
    html: str, page_url: str, tree: LexborHTMLParser | None = None
) -> tuple[str | None, list[tuple[str, str]]]:
    """The title and the (canonical URL, anchor text) of every followable <a href>, honouring <base href>."""
    tree = tree if tree is not None else LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node is not None else None
    base = page_url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = canonical_url(base_node.attributes.get("href") or "", page_url) or page_url
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.lower().startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
            continue
        url = canonical_url(href, base)
        if url is None or url in seen:
            continue
        seen.add(url)
        links.append((url, " ".join(anchor.text(separator=" ").split())[:MAX_ANCHOR_CHARS]))
        if len(links) >= MAX_OUTLINKS_PER_PAGE:
            break
    return title, links


def looks_binary(body: bytes) -> bool:
    """True when the first bytes hold NUL or many control characters (binary served as text)."""
    sample = body[:BINARY_SNIFF_BYTES]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 0x20 and byte not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
    return controls / len(sample) > BINARY_CONTROL_SHARE


def failure_code(result: FetchResult, binary: bool = False) -> str | None:
    """The failure code of a page fetch, or None when it succeeded."""
    if result.error_code:
        return result.error_code
    if result.status is not None and result.status >= 400:
        return f"http_{result.status}"
    if binary:
        return "binary_content"
    return None


class Crawler:
    """Crawls one site through a shared GuardedFetcher; hands each page to on_page on the caller's thread."""

    def __init__(
        self,
        fetcher: GuardedFetcher,
        root_url: str,
        limits: CrawlLimits,
        *,
        already_fetched: Sequence[FetchedPageRecord] = (),
        host_budget: HostBudget | None = None,
    ) -> None:
        root = canonical_url(root_url)
        if root is None:
            raise ValueError(f"not an http(s) URL: {root_url!r}")
        self.fetcher = fetcher
        self.limits = limits
        self.host_budget = host_budget or HostBudget()
        self.root_url = root
        self.home_url = root
        self.root_domain = registrable_domain(url_host(root))
        self.robots_txt: str | None = None
        self.sitemap_entries: list[SitemapEntry] = []
        self._records = {record.url: record for record in already_fetched}
        self._frontier: dict[str, _Candidate] = {}
        self._done: set[str] = set()  # selected, skipped by robots or dropped by a quota: never offered again
        self._anchors: dict[str, list[str]] = {}
        self._robots: dict[str, RobotsPolicy] = {}
        self._robots_skipped: list[str] = []
        self._offsite_selected: Counter[str] = Counter()
        self._blog_selected: Counter[str] = Counter()
        self._sampled_out = 0
        self._offsite_over_quota = 0
        self._host_in_flight: Counter[str] = Counter()
        self._parsed_ahead = 0
        self._parsed_ahead_lock = threading.Lock()
        self._host_next_start: dict[str, float] = {}
        self._tally = _Tally()
        self._stop = threading.Event()
        self._stop_reason = StopReason.COMPLETE
        self._phase = CrawlPhase.ROBOTS
        self._started = 0.0
        self._last_progress = 0.0
        self._last_checkpoint = 0.0
        self._sitemap_files: list[str] = []
        self._sitemap_errors: list[SitemapError] = []

    # -- public ---------------------------------------------------------------------------------------------

    def run(
        self,
        on_page: Callable[[CrawledPage, list[str]], None],
        *,
        checkpoint: Callable[[], None],
        progress: Callable[[CrawlProgress], None],
    ) -> CrawlSummary:
        """Crawl until the frontier is empty or a cap is reached; exceptions from the callbacks propagate."""
        self._started = time.monotonic()
        self._last_checkpoint = self._started
        self._report(progress, force=True)

        def start(run_round: Callable[[list[_Candidate]], None]) -> None:
            self._discover(checkpoint, progress)
            home = self._frontier.pop(self.home_url)
            self._done.add(home.url)
            if self._policy_for(url_origin(home.url)).allows(home.url):
                run_round([home])
            else:
                self._robots_skipped.append(home.url)
            self._add_probes(url_origin(home.url))

        return self._crawl_rounds(on_page, checkpoint, progress, start)

    def follow(
        self,
        links: Iterable[tuple[int, str]],
        on_page: Callable[[CrawledPage, list[str]], None],
        *,
        checkpoint: Callable[[], None],
        progress: Callable[[CrawlProgress], None],
    ) -> CrawlSummary:
        """After run(): fetch links only a browser saw ((parent depth, URL)), in rounds, within the same caps."""
        for depth, link in links:
            url = canonical_url(link)
            if url is not None and self._in_scope(url):
                self._offer(url, depth=depth + 1, via="link")
        return self._crawl_rounds(on_page, checkpoint, progress)

    def _crawl_rounds(
        self,
        on_page: Callable[[CrawledPage, list[str]], None],
        checkpoint: Callable[[], None],
        progress: Callable[[CrawlProgress], None],
        start: Callable[[Callable[[list[_Candidate]], None]], None] | None = None,
    ) -> CrawlSummary:
        """Fetch the frontier in rounds on a thread pool until it is empty, a cap is hit or a callback raises."""
        executor = ThreadPoolExecutor(
            max_workers=max(1, self.limits.scan_concurrency), thread_name_prefix="crawl"
        )
        in_flight: list[_Work] = []

        def run_round(selected: list[_Candidate]) -> None:
            self._run_round(selected, executor, in_flight, on_page, checkpoint, progress)

        try:
            if start is not None:
                start(run_round)
            while not self._stop.is_set():
                selected = self._select_round(checkpoint)
                if not selected:
                    break
                run_round(selected)
        except BaseException:
            self._stop.set()
            executor.shutdown(wait=False, cancel_futures=True)
            self._await_in_flight(in_flight, CANCEL_GRACE_SECONDS)
            raise
        executor.shutdown(wait=True)
        self._phase = CrawlPhase.DONE
        self._report(progress, force=True)
        return self._summary()

    # -- discovery ------------------------------------------------------------------------------------------

    def _discover(self, checkpoint: Callable[[], None], progress: Callable[[CrawlProgress], None]) -> None:
        """robots.txt of the root, its sitemaps (else /sitemap.xml), then the home page as round 0."""
        root_policy = self._policy_for(url_origin(self.root_url))
        self.robots_txt = root_policy.text
        checkpoint()
        self._phase = CrawlPhase.SITEMAPS
        self._report(progress)
        starts = [u for u in (canonical_url(s) for s in root_policy.sitemaps) if u and self._in_scope(u)]
        if not starts:
            fallback = url_origin(self.home_url) + "/sitemap.xml"
            starts = [fallback] if self._policy_for(url_origin(fallback)).allows(fallback) else []

        def after_sitemap_fetch(result: FetchResult) -> None:
            self._tally.bytes += result.decoded_bytes
            self._polite_pause(root_policy)
            checkpoint()

        collection = collect_sitemaps(
            self.fetcher,
            starts,
            accept_url=lambda url: (
                (canonical := canonical_url(url)) is not None and self._in_scope(canonical)
            ),
            on_fetch=after_sitemap_fetch,
        )
        self._sitemap_files = collection.files
        self._sitemap_errors = collection.errors
        self.sitemap_entries = collection.entries
        for entry in collection.entries:
            url = canonical_url(entry.url)
            if url is not None:
                self._offer(url, depth=1, via="sitemap", lastmod=entry.lastmod)
        self._phase = CrawlPhase.HOME
        self._offer(self.home_url, depth=0, via="seed")

    def _policy_for(self, origin: str) -> RobotsPolicy:
        """The robots rules of an origin, fetched once per crawl."""
        policy = self._robots.get(origin)
        if policy is None:
            policy, result = fetch_robots(self.fetcher, origin)
            self._tally.bytes += result.decoded_bytes
            self._robots[origin] = policy
            final = canonical_url(result.final_url) if result.redirects else None
            if final is not None and final.endswith("/robots.txt") and result.ok:
                # The file a redirect led to is that origin's own robots.txt: no need to ask again.
                self._robots.setdefault(url_origin(final), replace(policy, origin=url_origin(final)))
            if origin == url_origin(self.root_url):
                self._adopt_canonical_origin(final)
        return policy

    def _adopt_canonical_origin(self, final: str | None) -> None:
        """When the root's robots.txt redirects within the company's domain (apex to www), start there."""
        if final is None or not self._in_scope(final):
            return
        origin = url_origin(final)
        if origin != url_origin(self.root_url):
            self.home_url = canonical_url(origin + "/") or self.home_url

    def _add_probes(self, origin: str) -> None:
        """The probe paths of docs/evidence.md §2 not discovered by the sitemaps or the home page."""
        for path in PROBE_PATHS:
            url = canonical_url(origin + path)
            if url is not None and url not in self._frontier and url not in self._done:
                self._offer(url, depth=1, via="probe")

    def _offer(self, url: str, *, depth: int, via: str, lastmod: str | None = None) -> None:
        """Add a URL to the frontier, or merge it with the entry there (the smallest depth and via win)."""
        if url in self._done:
            return
        existing = self._frontier.get(url)
        if existing is None:
            page_class = classify(url)
            self._frontier[url] = _Candidate(url, depth, via, page_class, priority(page_class, url), lastmod)
            return
        if (depth, VIA_ORDER[via]) < (existing.depth, VIA_ORDER[existing.via]):
            existing.depth, existing.via = depth, via
        existing.lastmod = existing.lastmod or lastmod

    def _offer_outlinks(self, parent_url: str, depth: int, links: Iterable[str]) -> None:
        """Queue a page's links: in scope always; evidence hosts off-site only from an in-scope page."""
        parent_in_scope = self._in_scope(parent_url)
        for url in links:
            if self._in_scope(url) or (parent_in_scope and is_offsite_evidence_url(url)):
                self._offer(url, depth=depth + 1, via="link")

    def _in_scope(self, url: str) -> bool:
        return in_scope(url, self.root_domain)

    # -- selection ------------------------------------------------------------------------------------------

    def _select_round(self, checkpoint: Callable[[], None]) -> list[_Candidate]:
        """The next round: the best priority group in the frontier, by priority then URL, within every cap."""
        budget = self.limits.max_pages - self._pages_done()
        if budget <= 0:
            if self._frontier:
                self._stop_reason = StopReason.PAGE_CAP
            return []
        if self._over_byte_or_time_cap():
            return []
        for origin in sorted({url_origin(url) for url in self._frontier}):
            if origin not in self._robots:
                self._policy_for(origin)
                checkpoint()
        for url in sorted(self._frontier):
            if not self._robots[url_origin(url)].allows(url):
                del self._frontier[url]
                self._done.add(url)
                self._robots_skipped.append(url)
        # A tenth of the page cap stays for the newest blog posts (cadence), however many evidence pages wait.
        blog_waiting = sum(1 for c in self._frontier.values() if c.group == BLOG_GROUP)
        blog_reserve = min(
            self.limits.blog_sample, self.limits.max_pages // BLOG_RESERVE_DIVISOR, blog_waiting
        )
        chosen: list[_Candidate] = []
        for group_number in sorted({c.group for c in self._frontier.values()}):
            allowance = budget - (blog_reserve if group_number < BLOG_GROUP else 0)
            if allowance <= 0:
                self._stop_reason = StopReason.PAGE_CAP
                continue
            group = sorted(
                (c for c in self._frontier.values() if c.group == group_number), key=_Candidate.order
            )
            chosen = self._within_quotas(group)
            if chosen:
                if len(chosen) > allowance:
                    chosen = chosen[:allowance]
                    self._stop_reason = StopReason.PAGE_CAP
                break
        for candidate in chosen:
            del self._frontier[candidate.url]
            self._done.add(candidate.url)
            if not self._in_scope(candidate.url):
                self._offsite_selected[url_host(candidate.url)] += 1
            if is_blog_post(candidate.page_class, candidate.url):
                self._blog_selected[blog_section(candidate.url)] += 1
        return chosen

    def _within_quotas(self, group: list[_Candidate]) -> list[_Candidate]:
        """Drop blog posts past the newest `blog_sample` per section and off-site pages past each host's quota."""
        posts = [c for c in group if is_blog_post(c.page_class, c.url)]
        # Newest first (ISO lastmod sorts as text); undated posts after dated ones, then by URL.
        posts.sort(key=lambda c: (c.lastmod is None, _descending(c.lastmod or ""), c.url))
        kept_posts: set[str] = set()
        taken: Counter[str] = Counter()
        for post in posts:
            section = blog_section(post.url)
            if self._blog_selected[section] + taken[section] < self.limits.blog_sample:
                taken[section] += 1
                kept_posts.add(post.url)
        chosen: list[_Candidate] = []
        offsite: Counter[str] = Counter()
        for candidate in group:
            if is_blog_post(candidate.page_class, candidate.url) and candidate.url not in kept_posts:
                del self._frontier[candidate.url]
                self._done.add(candidate.url)
                self._sampled_out += 1
                continue
            if not self._in_scope(candidate.url):
                host = url_host(candidate.url)
                if self._offsite_selected[host] + offsite[host] >= self.limits.offsite_pages_per_host:
                    del self._frontier[candidate.url]
                    self._done.add(candidate.url)
                    self._offsite_over_quota += 1
                    continue
                offsite[host] += 1
            chosen.append(candidate)
        return chosen

    # -- one round ------------------------------------------------------------------------------------------

    def _run_round(
        self,
        selected: list[_Candidate],
        executor: ThreadPoolExecutor,
        in_flight: list[_Work],
        on_page: Callable[[CrawledPage, list[str]], None],
        checkpoint: Callable[[], None],
        progress: Callable[[CrawlProgress], None],
    ) -> None:
        """Fetch a round's pages in parallel under the politeness rules; hand each over as it completes."""
        if self._phase is not CrawlPhase.HOME:
            self._phase = CrawlPhase.PAGES
        pending: list[_Work] = []
        for candidate in selected:
            record = self._records.get(candidate.url)
            if record is not None:
                self._replay(candidate, record)
            else:
                anchors = tuple(sorted(self._anchors.get(candidate.url, ()))[:MAX_ANCHOR_TEXTS_PER_URL])
                pending.append(_Work(candidate, anchors))
        self._report(progress)
        while pending or in_flight:
            if pending and self._over_byte_or_time_cap():
                pending.clear()
            self._dispatch(pending, in_flight, executor)
            futures = [work.future for work in in_flight if work.future is not None]
            if futures:
                done, _ = wait(futures, timeout=self._next_wake(pending), return_when=FIRST_COMPLETED)
            else:
                # Nothing in flight: every pending page waits for its host's crawl delay or back-off.
                done = set()
                time.sleep(self._next_wake(pending))
            for work in [w for w in in_flight if w.future in done]:
                in_flight.remove(work)
                self._host_in_flight[url_host(work.candidate.url)] -= 1
                self.host_budget.release(url_host(work.candidate.url), work.budget_token)
                fetched = work.future.result() if work.future is not None else None
                if fetched is None:
                    continue
                try:
                    self._hand_over(work, fetched, on_page)
                finally:
                    # The done futures still hold this page: drop its text and tree, and give their memory back
                    # before the next big page is parsed.
                    fetched.html, fetched.tree = "", None
                    if fetched.parsed_ahead:
                        with self._parsed_ahead_lock:
                            self._parsed_ahead -= 1
                release_free_memory()
                checkpoint()
                self._last_checkpoint = time.monotonic()
                self._report(progress)
            if not done and time.monotonic() - self._last_checkpoint >= IDLE_CHECKPOINT_SECONDS:
                checkpoint()
                self._last_checkpoint = time.monotonic()

    def _dispatch(self, pending: list[_Work], in_flight: list[_Work], executor: ThreadPoolExecutor) -> None:
        """Start every pending fetch whose host has a free slot and whose crawl delay has passed, in order."""
        now = time.monotonic()
        for work in list(pending):
            if len(in_flight) >= self.limits.scan_concurrency:
                return
            host = url_host(work.candidate.url)
            policy = self._robots.get(url_origin(work.candidate.url))
            delay = self._crawl_delay(policy)
            slots = 1 if delay >= SERIAL_CRAWL_DELAY_SECONDS else max(1, self.limits.per_host_concurrency)
            if self._host_in_flight[host] >= slots or self._host_next_start.get(host, 0.0) > now:
                continue
            # The same rules across every scan of this host (other workers included).
            work.budget_token = self.host_budget.try_acquire(host, slots, delay)
            if work.budget_token is None:
                self._host_next_start[host] = now + BUDGET_RETRY_SECONDS
                continue
            pending.remove(work)
            self._host_in_flight[host] += 1
            self._host_next_start[host] = now + delay
            # The pool thread runs in this thread's context, so its log lines carry the scan and task ids.
            work.future = executor.submit(contextvars.copy_context().run, self._fetch, work.candidate.url)
            in_flight.append(work)

    def _fetch(self, url: str) -> _Fetched | None:
        """Runs on a pool thread; fetches nothing once the crawl is stopping."""
        if self._stop.is_set():
            return None
        fetched = _Fetched(self.fetcher.fetch(url, kind=ResourceKind.HTML))
        result = fetched.result
        if result.ok and (result.content_type or "") in HTML_TYPES and result.body:
            fetched.binary = looks_binary(result.body)
            if not fetched.binary:
                fetched.html = result.text
                # lexbor parses without holding the GIL: here it runs beside the page analysis.
                with self._parsed_ahead_lock:
                    fetched.parsed_ahead = self._parsed_ahead < PARSED_AHEAD
                    self._parsed_ahead += fetched.parsed_ahead
                if fetched.parsed_ahead:
                    fetched.tree = LexborHTMLParser(fetched.html)
        if result.status is not None and not fetched.binary:
            text = fetched.html or (result.text if result.body and _is_text(result.content_type) else "")
            fetched.bot_check = check_response(result.status, result.headers, text)
        return fetched

    def _next_wake(self, pending: list[_Work]) -> float:
        if not pending:
            return WAIT_SLICE_SECONDS
        # Per host, not per pending page: a round holds hundreds of pages on a handful of hosts. A host with
        # nothing pending may wake the loop early; it then just waits again.
        now = time.monotonic()
        waits = [start - now for start in self._host_next_start.values() if start > now]
        return max(0.005, min([WAIT_SLICE_SECONDS, *waits]))

    def _crawl_delay(self, policy: RobotsPolicy | None) -> float:
        if not self.limits.obey_crawl_delay or policy is None:
            return 0.0
        return policy.crawl_delay_seconds or 0.0

    def _polite_pause(self, policy: RobotsPolicy) -> None:
        delay = self._crawl_delay(policy)
        if delay > 0:
            time.sleep(delay)

    def _hand_over(
        self, work: _Work, fetched: _Fetched, on_page: Callable[[CrawledPage, list[str]], None]
    ) -> None:
        """Build the CrawledPage, call on_page, then count the page and queue its links."""
        candidate, result, html, tree, binary = (
            work.candidate,
            fetched.result,
            fetched.html,
            fetched.tree,
            fetched.binary,
        )
        if tree is None and html:
            tree = LexborHTMLParser(html)  # fetched while PARSED_AHEAD pages were already parsed
        final = canonical_url(result.final_url) or candidate.url
        title: str | None = None
        links: list[tuple[str, str]] = []
        if tree is not None and not fetched.bot_check.challenged:  # a challenge page's links are the vendor's
            title, links = extract_links(html, final, tree)
        page_class = classify(final, title, work.anchors)
        if page_class == PageClass.OTHER and final != candidate.url:
            page_class = classify(candidate.url, title, work.anchors)
        outlinks = [url for url, _ in links]
        page = CrawledPage(
            url=final,
            requested_url=candidate.url,
            host=url_host(final),
            page_class=page_class,
            depth=candidate.depth,
            fetch=result,
            html=html,
            discovered_via=candidate.via,
            sitemap_lastmod=candidate.lastmod,
            tree=tree,
            bot_check=fetched.bot_check,
        )
        on_page(page, outlinks)
        if candidate.depth == 0:
            self.home_url = final
        self._tally.pages_fetched += 1
        self._tally.bytes += result.decoded_bytes
        self._tally.hosts.add(url_host(final))
        code = failure_code(result, binary)
        if code is not None:
            self._tally.failures[code] += 1
        self._back_off_if_throttled(candidate.url, result)
        for url, text in links:
            if text:
                texts = self._anchors.setdefault(url, [])
                if text not in texts and len(texts) < MAX_ANCHOR_TEXTS_PER_URL:
                    texts.append(text)
        self._offer_outlinks(candidate.url, candidate.depth, outlinks)

    def _replay(self, candidate: _Candidate, record: FetchedPageRecord) -> None:
        """A page fetched by an earlier delivery: not fetched again; its recorded links re-seed the frontier."""
        self._tally.pages_resumed += 1
        self._offer_outlinks(candidate.url, candidate.depth, (u for u in record.outlinks if canonical_url(u)))

    def _back_off_if_throttled(self, url: str, result: FetchResult) -> None:
        """After a final 429 (the fetcher's own retries spent), leave the host alone for a while."""
        if result.status != 429 and not (result.error_code or "").startswith("http_429"):
            return
        wait_seconds = parse_retry_after(result.header("Retry-After"))
        wait_seconds = min(
            wait_seconds if wait_seconds is not None else DEFAULT_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS
        )
        host = url_host(url)
        self._host_next_start[host] = max(
            self._host_next_start.get(host, 0.0), time.monotonic() + wait_seconds
        )

    def _await_in_flight(self, in_flight: list[_Work], grace_seconds: float) -> None:
        futures = [work.future for work in in_flight if work.future is not None]
        if futures:
            wait(futures, timeout=grace_seconds)

    # -- caps and reporting ---------------------------------------------------------------------------------

    def _pages_done(self) -> int:
        return self._tally.pages_fetched + self._tally.pages_resumed

    def _over_byte_or_time_cap(self) -> bool:
        if self._tally.bytes >= self.limits.max_bytes:
            self._stop_reason = StopReason.BYTE_CAP
        elif time.monotonic() - self._started >= self.limits.max_seconds:
            self._stop_reason = StopReason.TIME_CAP
        else:
            return False
        self._stop.set()
        return True

    def _report(self, progress: Callable[[CrawlProgress], None], force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_progress < PROGRESS_INTERVAL_SECONDS:
            return
        self._last_progress = now
        done = self._pages_done()
        planned = min(self.limits.max_pages, done + len(self._frontier))
        progress(CrawlProgress(done, max(planned, done), self._tally.bytes, str(self._phase)))

    def _summary(self) -> CrawlSummary:
        return CrawlSummary(
            pages_fetched=self._tally.pages_fetched,
            pages_resumed=self._tally.pages_resumed,
            pages_skipped_robots=len(self._robots_skipped),
            failures=dict(sorted(self._tally.failures.items())),
            bytes=self._tally.bytes,
            seconds=round(time.monotonic() - self._started, 3),
            stop_reason=self._stop_reason,
            hosts=tuple(sorted(self._tally.hosts)),
            home_url=self.home_url,
            root_domain=self.root_domain,
            robots_skipped_urls=tuple(self._robots_skipped),
            sitemap_files=tuple(self._sitemap_files),
            sitemap_urls=len(self.sitemap_entries),
            sitemap_errors=tuple(self._sitemap_errors),
            sampled_out=self._sampled_out,
            offsite_over_quota=self._offsite_over_quota,
        )


def _is_text(content_type: str | None) -> bool:
    return content_type is None or content_type.startswith("text/") or content_type in HTML_TYPES


def _descending(text: str) -> tuple[int, ...]:
    """A key that sorts strings in descending order ("" last)."""
    return (*(-ord(ch) for ch in text), 1)
