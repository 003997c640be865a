"""Evidence collection for one scan: the crawl feeds every registered collector; pages are stored in batches."""

from __future__ import annotations

import contextlib
import contextvars
import gc
import importlib
import ipaddress
import logging
import pkgutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from techscaniq.config import Settings
from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, Scan
from techscaniq.errors import FetchError, FetchRefused, ScanCancelled, StepLeaseTaken
from techscaniq.evidence import collectors as collectors_package
from techscaniq.evidence.addresses import is_in_networks
from techscaniq.evidence.collectors.base import CollectContext, Collector, CrawledPage, PageClass, registered
from techscaniq.evidence.crawler import Crawler, CrawlLimits, CrawlProgress, CrawlSummary, FetchedPageRecord
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from techscaniq.evidence.heap import limit_arenas
from techscaniq.evidence.host_budget import host_budget_for
from techscaniq.evidence.page_class import classify
from techscaniq.evidence.render.browser import RenderedPage, renderer_for
from techscaniq.evidence.render.phase import Challenged, RenderCandidate, choose_pages, render_pages
from techscaniq.evidence.urls import canonical_url, registrable_domain, url_host
from techscaniq.progress import ProgressReporter
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

log = logging.getLogger(__name__)

CRAWL_PROGRESS_SHARE = 85
# Site-level work that others build on runs first: DNS answers and TLS facts feed the technology collector.
FINISH_ORDER = ("dns_email", "tls", "security")
# These wait on the network (DNS questions, TLS handshakes, probes) and share nothing: they run side by side.
CONCURRENT_FINISH = frozenset(FINISH_ORDER)
BEGIN_THREADS = 2
REFUSAL_PREFIXES = ("ssrf_", "invalid_url")
# Requests of a rendered page matched as script sources: the code it ran and the endpoints that code called.
REQUEST_TYPES_MATCHED = frozenset({"script", "xhr", "fetch"})
# Page-level collectors that read a page the browser rendered past a challenge the crawler could not pass: they
# read its markup and the document's headers. Not performance (no comparable timings), not technology (it
# matches the DOM itself), not bot_protection (told separately).
READS_RENDERED = frozenset(
    {"pages", "security", "tls", "compliance", "hiring", "business", "developer", "dns_email"}
)


def load_collectors() -> dict[str, Any]:
    """Import every module of techscaniq.evidence.collectors so each registers itself; returns the registry."""
    for module in pkgutil.iter_modules(collectors_package.__path__):
        if module.name != "base":
            importlib.import_module(f"{collectors_package.__name__}.{module.name}")
    return registered()


def warm_up(settings: Settings | None = None) -> None:
    """Import the collectors and compile the fingerprints now, so a worker's first scan does not pay for it.

    Raises FingerprintDataError (naming the file and pattern) when TECHSCANIQ_FINGERPRINTS_DIR holds a bad file.
    """
    import extruct  # noqa: F401 - the parsers the collectors import lazily
    import trafilatura  # noqa: F401

    from techscaniq.evidence.fingerprints.loader import configured_dirs
    from techscaniq.evidence.fingerprints.matcher import FingerprintMatcher

    load_collectors()
    settings = settings or Settings.from_env()
    limit_arenas(settings.malloc_arena_max)  # before the crawl threads exist (techscaniq/evidence/heap.py)
    FingerprintMatcher.load(configured_dirs(settings.fingerprints_dir))
    # What the worker loaded lives as long as it does: the collector stops scanning it on every full
    # collection, and forked pool processes share its pages instead of copying them.
    gc.freeze()


@dataclass
class CollectorRun:
    """One collector's outcome for the coverage table."""

    collector: Collector
    items: int = 0
    error: dict[str, str] | None = None
    failed: bool = False


@dataclass
class Collection:
    """The collectors of one scan and their bookkeeping."""

    runs: dict[str, CollectorRun] = field(default_factory=dict)

    def active(self) -> list[tuple[str, CollectorRun]]:
        """Collectors that have not failed, in finish order."""
        names = sorted(self.runs, key=lambda n: (FINISH_ORDER.index(n) if n in FINISH_ORDER else 99, n))
        return [(name, self.runs[name]) for name in names if not self.runs[name].failed]

    def state(self) -> dict[str, Any]:
        """The checkpoint of every collector."""
        return {
            name: {
                "state": run.collector.state(),
                "items": run.items,
                "error": run.error,
                "failed": run.failed,
            }
            for name, run in self.runs.items()
        }

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Load a previous delivery's checkpoint."""
        for name, entry in saved.items():
            run = self.runs.get(name)
            if run is None:
                continue
            run.collector.restore(entry.get("state") or {})
            run.items = int(entry.get("items", 0))
            run.error = entry.get("error")
            run.failed = bool(entry.get("failed"))


@contextmanager
def _beside_the_crawl(collection: Collection, context: CollectContext) -> Iterator[None]:
    """Run every collector's begin() on threads while the crawl runs; wait for them only when it succeeds."""
    pool = ThreadPoolExecutor(max_workers=BEGIN_THREADS, thread_name_prefix="begin")
    for name, run in collection.active():
        pool.submit(contextvars.copy_context().run, _begin, name, run.collector, context)
    try:
        yield
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # a stopping crawl does not wait for early work
        raise
    pool.shutdown(wait=True)


def _begin(name: str, collector: Collector, context: CollectContext) -> None:
    try:
        collector.begin(context)
    except Exception:  # early work only saves time: finish() does what it could not
        log.warning("collector %s could not start its early work", name, exc_info=True)


def _call(name: str, run: CollectorRun, produce: Any, context: CollectContext) -> list[EvidenceDraft]:
    """Run one collector call; an exception fails that collector alone and becomes an error item."""
    try:
        drafts = list(produce())
    except (ScanCancelled, StepLeaseTaken):
        raise
    except (FetchRefused, FetchError) as error:
        return _failed(name, run, error.code, error.message, context)
    except Exception:  # a broken collector must never fail the scan
        # The exception's text may name internals (paths, queries): it goes to the log, the tenant gets a reference.
        reference = uuid.uuid4().hex[:12]
        log.exception("collector %s failed (reference %s)", name, reference)
        message = (
            f"the {name} collector stopped on an unexpected error (reference {reference} in the worker log)"
        )
        return _failed(name, run, "collector_crashed", message, context)
    run.items += len(drafts)
    return drafts


def _page_call(collector: Collector, page: CrawledPage, context: CollectContext) -> Any:
    """The collector's call for this page; a challenge page goes only to collectors that ask for it."""
    if not page.challenged:
        return lambda: collector.on_page(page, context)
    on_challenge = getattr(collector, "on_challenge_page", None)
    if on_challenge is None:
        return None  # a challenge page's markup says nothing about the company
    return lambda: on_challenge(page, context)


def _failed(
    name: str, run: CollectorRun, code: str, message: str, context: CollectContext
) -> list[EvidenceDraft]:
    run.failed = True
    run.error = {"code": code, "message": message[:500]}
    return [
        context.draft(
            "collection",
            EvidenceType.COLLECTOR_ERROR,
            EvidenceCategory.COLLECTION,
            key=name,
            title=f"The {name} collector failed: {code}",
            summary=message[:500],
            source_url=context.root_url,
            data={"collector": name, "code": code, "message": message[:2000]},
            confidence=1.0,
        )
    ]


def _coverage_items(collection: Collection, context: CollectContext) -> list[EvidenceDraft]:
    items = []
    for name, run in sorted(collection.runs.items()):
        outcome = "failed" if run.failed else "ok"
        items.append(
            context.draft(
                "collection",
                EvidenceType.COLLECTOR_RUN,
                EvidenceCategory.COLLECTION,
                key=name,
                title=f"Collector {name}: {outcome}, {run.items} items",
                summary=f"The {name} collector finished {outcome} with {run.items} items"
                + (f" ({run.error['code']})" if run.error else "."),
                source_url=context.root_url,
                data={"collector": name, "outcome": outcome, "items": run.items, "error": run.error},
                confidence=1.0,
            )
        )
    return items


def _summary_item(summary: CrawlSummary, context: CollectContext) -> EvidenceDraft:
    facts = {key: value for key, value in vars(summary).items() if not key.startswith("_")}
    return context.draft(
        "crawler",
        EvidenceType.CRAWL_SUMMARY,
        EvidenceCategory.PAGES,
        key="crawl",
        title=f"Crawl fetched {facts.get('pages_fetched', 0)} pages ({facts.get('stop_reason', 'complete')})",
        summary="Pages fetched, skipped by robots.txt, failures, bytes and time of the crawl.",
        source_url=context.root_url,
        data=_json_safe(facts),
        confidence=1.0,
    )


def _json_safe(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _json_safe(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


LIFTED_CONCURRENCY = 16


def crawl_limits(settings: Settings, scan: Scan, *, loopback_only: bool = False) -> CrawlLimits:
    """The scan's crawl limits: global settings, narrowed by the scan's own `crawl` metadata if given.

    Politeness is lifted (benchmarks) only when configured and the site resolves inside the allowed networks.
    """
    requested = scan.metadata.get("crawl")
    overrides: Mapping[str, Any] = requested if isinstance(requested, Mapping) else {}
    max_pages = min(int(overrides.get("max_pages", settings.crawl_max_pages)), settings.crawl_max_pages)
    max_seconds = min(
        float(overrides.get("max_seconds", settings.crawl_max_seconds)), settings.crawl_max_seconds
    )
    if settings.crawl_lift_politeness and loopback_only:
        return CrawlLimits(
            max_pages=max(1, max_pages),
            max_seconds=max(1.0, max_seconds),
            per_host_concurrency=LIFTED_CONCURRENCY,
            scan_concurrency=LIFTED_CONCURRENCY,
            obey_crawl_delay=False,
        )
    return CrawlLimits(max_pages=max(1, max_pages), max_seconds=max(1.0, max_seconds))


def collect_evidence(settings: Settings, scan: Scan, reporter: ProgressReporter) -> None:
    """Crawl the company's site, run every collector and store their items; resumes after a crash."""
    factories = load_collectors()
    collection = Collection({name: CollectorRun(factory()) for name, factory in sorted(factories.items())})
    with session_scope(settings, write=False) as session:
        saved_state = repo.load_crawl_state(session, scan.id) or {}
        already = [
            FetchedPageRecord(
                url=row["url"],
                depth=row["depth"],
                page_class=row["page_class"],
                status=row["status"],
                outlinks=tuple(row["outlinks"]),
            )
            for row in repo.crawled_pages(session, scan.id)
        ]
    collection.restore(saved_state.get("collectors", {}))
    with GuardedFetcher(settings) as fetcher:
        host = url_host(scan.website_url)
        # Refuse a forbidden or unresolvable site before any request; the crawl itself treats hosts softly.
        addresses = [host.strip("[]")] if _is_ip_literal(host) else fetcher.resolve(host)
        loopback_only = bool(settings.allow_networks) and all(
            is_in_networks(address, settings.allow_networks) for address in addresses
        )
        root_url = saved_state.get("root_url") or scan.website_url
        context = CollectContext(
            scan=scan,
            settings=settings,
            fetcher=fetcher,
            root_url=root_url,
            registrable_domain=registrable_domain(url_host(root_url)),
            checkpoint=reporter.checkpoint,
        )
        limits = crawl_limits(settings, scan, loopback_only=loopback_only)
        crawler = Crawler(
            fetcher,
            scan.website_url,
            limits,
            already_fetched=already,
            host_budget=host_budget_for(settings.redis_url),
        )
        pages_done = len(already)
        render_candidates = [
            RenderCandidate(r.url, r.page_class, r.depth) for r in already if r.status == 200 and r.depth > 0
        ]
        served = {r.url for r in already if r.status == 200}  # pages the crawler saw (not challenged)

        batch = _PageBatch(settings, scan.id, collection, context, reporter)

        def on_page(page: CrawledPage, outlinks: list[str]) -> None:
            nonlocal pages_done
            if page.depth == 0:
                _check_home(page)
                context.root_url = page.url
            drafts: list[EvidenceDraft] = []
            for name, run in collection.active():
                produce = _page_call(run.collector, page, context)
                if produce is not None:
                    drafts.extend(_call(name, run, produce, context))
            batch.add(page, outlinks, drafts)
            pages_done += 1
            if page.status is not None and not page.challenged:
                served.update((page.url, page.requested_url))
            if page.depth > 0 and page.status == 200 and page.is_html and not page.challenged:
                render_candidates.append(RenderCandidate(page.url, page.page_class, page.depth))

        def on_progress(progress: CrawlProgress) -> None:
            planned = max(progress.pages_planned, progress.pages_fetched, 1)
            share = CRAWL_PROGRESS_SHARE * min(1.0, progress.pages_fetched / planned)
            reporter.update(int(share), phase=f"crawling: {progress.phase}", pages=progress.pages_fetched)

        reporter.update(1, phase="crawling", force=True)
        try:
            with _beside_the_crawl(collection, context):
                summary = crawler.run(on_page, checkpoint=batch.checkpoint, progress=on_progress)
        except ScanCancelled:
            batch.flush()  # a cancelled scan keeps what it collected
            raise
        batch.flush()
        if pages_done == 0:
            failures = (
                ", ".join(f"{code} x{count}" for code, count in summary.failures.items())
                or "no page answered"
            )
            raise FetchError(f"{scan.website_url} could not be crawled: {failures}", code="site_unreachable")
        context.robots_txt = crawler.robots_txt
        root_url = context.root_url
        if not saved_state.get("rendered"):
            # Its own phase, stored with the collectors' checkpoint: a redelivery does not render again.
            links: list[tuple[int, str]] = []
            rendered = _render_phase(
                settings, context, collection, render_candidates, reporter, links, frozenset(served)
            )
            _store(settings, scan.id, rendered, collection, root_url, reporter, rendered=True)
            batch.rendered = True
            if links:  # links that exist only in the rendered pages join the crawl, within its caps
                try:
                    summary = crawler.follow(
                        links, on_page, checkpoint=batch.checkpoint, progress=on_progress
                    )
                except ScanCancelled:
                    batch.flush()
                    raise
                batch.flush()
        reporter.update(CRAWL_PROGRESS_SHARE, phase="site-level checks", force=True)
        active = collection.active()
        reporter.checkpoint()
        with ThreadPoolExecutor(max_workers=len(CONCURRENT_FINISH), thread_name_prefix="finish") as pool:
            early = {
                name: pool.submit(
                    contextvars.copy_context().run,
                    _call,
                    name,
                    run,
                    lambda r=run: r.collector.finish(context),
                    context,
                )
                for name, run in active
                if name in CONCURRENT_FINISH
            }
            # All of them end before anything is stored: a checkpoint must not read a state still changing.
            finished = {name: future.result() for name, future in early.items()}
        site_level: list[EvidenceDraft] = []
        for index, (name, run) in enumerate(active):
            if name in finished:
                drafts = finished[name]
            else:
                try:
                    reporter.checkpoint()
                except ScanCancelled:
                    _store(settings, scan.id, site_level, collection, root_url, reporter, rendered=True)
                    raise
                drafts = _call(name, run, lambda r=run: r.collector.finish(context), context)
            # In the fixed order whatever finished first, so the stored items are reproducible.
            site_level.extend(drafts)
            share = CRAWL_PROGRESS_SHARE + (99 - CRAWL_PROGRESS_SHARE) * (index + 1) / max(1, len(active))
            reporter.update(int(share), phase=f"site-level checks: {name}")
        # One transaction: a delivery that dies before it runs every finish() again (each is cheap and keyed).
        site_level += [_summary_item(summary, context), *_coverage_items(collection, context)]
        _store(settings, scan.id, site_level, collection, root_url, reporter, rendered=True)
        for name, run in collection.runs.items():
            if run.failed and run.error:
                reporter.warning(
                    f"collector {name} failed: {run.error['code']}", data={"collector": name, **run.error}
                )


FLUSH_PAGES = 25
FLUSH_SECONDS = 0.5
MAX_STORED_OUTLINKS = 500


class _PageBatch:
    """Pages handed over but not yet stored; a flush stores them, their items and the checkpoint atomically.

    One transaction per page made storage the crawl's largest cost; a crash loses at most a batch, whose pages
    the next delivery fetches again.
    """

    def __init__(
        self,
        settings: Settings,
        scan_id: str,
        collection: Collection,
        context: CollectContext,
        reporter: ProgressReporter,
    ) -> None:
        self.settings = settings
        self.scan_id = scan_id
        self.collection = collection
        self.context = context
        self.reporter = reporter
        # Rows, not pages: a page's text and parsed tree are freed once its collectors are done with it.
        self.pages: list[repo.CrawledPageRow] = []
        self.drafts: list[EvidenceDraft] = []
        self.last_flush = time.monotonic()
        self.rendered = False  # the render phase's items are stored: the checkpoint must keep saying so

    def add(self, page: CrawledPage, outlinks: list[str], drafts: list[EvidenceDraft]) -> None:
        """Hold a page and its items; store the batch when it is big or old enough."""
        self.pages.append(
            repo.CrawledPageRow(
                url=page.requested_url,
                depth=page.depth,
                page_class=page.page_class,
                status=page.status,
                outlinks=list(outlinks)[:MAX_STORED_OUTLINKS],
            )
        )
        self.drafts.extend(drafts)
        if len(self.pages) >= FLUSH_PAGES:
            self.flush()
        self._flush_if_old()

    def checkpoint(self) -> None:
        """The crawl's checkpoint (cancel flag, lease), then a batch held while the crawl waits is stored too."""
        self.reporter.checkpoint()  # first: a step whose lease was taken over must not write
        self._flush_if_old()

    def _flush_if_old(self) -> None:
        if self.pages and time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Store the held pages, their items and the collectors' checkpoint in one transaction."""
        self.last_flush = time.monotonic()
        if not self.pages:
            return
        with session_scope(self.settings) as session:
            self.reporter.fence(session, progress=True)
            repo.record_crawled_pages(session, self.scan_id, self.pages)
            stored = repo.add_evidence(session, self.scan_id, self.drafts)
            repo.save_crawl_state(
                session,
                self.scan_id,
                {
                    "root_url": self.context.root_url,
                    "collectors": self.collection.state(),
                    "rendered": self.rendered,
                },
            )
            self.reporter.evidence_added(session, stored, repo.count_evidence(session, self.scan_id))
        self.pages, self.drafts = [], []
        self.reporter.print_evidence(stored)


def _store(
    settings: Settings,
    scan_id: str,
    drafts: Iterable[EvidenceDraft],
    collection: Collection,
    root_url: str,
    reporter: ProgressReporter,
    *,
    rendered: bool = False,
) -> None:
    with session_scope(settings) as session:
        reporter.fence(session, progress=True)
        stored = repo.add_evidence(session, scan_id, list(drafts))
        state = {"root_url": root_url, "collectors": collection.state(), "rendered": rendered}
        repo.save_crawl_state(session, scan_id, state)
        reporter.evidence_added(session, stored, repo.count_evidence(session, scan_id))
    reporter.print_evidence(stored)


def _render_phase(
    settings: Settings,
    context: CollectContext,
    collection: Collection,
    candidates: list[RenderCandidate],
    reporter: ProgressReporter,
    links: list[tuple[int, str]],
    served: frozenset[str] = frozenset(),
) -> list[EvidenceDraft]:
    """Render the home page and the top pages by class (evidence/render/); the DOMs feed the technology collector.

    Pages past a challenge the crawler could not pass also feed the page-level collectors of READS_RENDERED.
    """
    reporter.update(CRAWL_PROGRESS_SHARE, phase="rendering", force=True)
    renderer = None
    limit = _render_limit(settings, context.scan)
    if settings.browser == "off" or settings.render_pages <= 0:
        reason = "rendering is turned off (TECHSCANIQ_BROWSER=off or TECHSCANIQ_RENDER_PAGES=0)"
    elif limit == 0:
        reason = "this scan asked for no rendering (metadata.render.pages = 0)"
    else:
        renderer = renderer_for(settings)  # raises BrowserUnavailable when rendering is required
        reason = "" if renderer is not None else "no Chromium was found, or it did not start"
    technology = collection.runs.get("technology")
    challenged = Challenged(_challenged_hosts(collection), served, limit)
    extra: list[EvidenceDraft] = []

    depths = {candidate.url: candidate.depth for candidate in candidates}

    def on_rendered(page: RenderedPage, past_challenge: bool) -> None:
        depth = depths.get(page.url, 0)
        links.extend(
            (depth, link)
            for link in page.links
            if url_host(link) not in challenged.hosts or not past_challenge
        )
        for link in page.links:
            depths.setdefault(canonical_url(link) or link, depth + 1)
        if past_challenge:
            extra.extend(_past_challenge_items(collection, context, page, depth))
        if technology is not None and not technology.failed:
            matcher = getattr(technology.collector, "on_rendered_page", None)
            if matcher is not None:
                requested = [r.url for r in page.requests if r.resource_type in REQUEST_TYPES_MATCHED]
                xhr = [r.url for r in page.requests if r.resource_type in ("xhr", "fetch")]
                matcher(context, page.url, page.dom, page.cookies, requested, xhr=xhr, js=page.js)

    def progress(done: int, total: int) -> None:
        reporter.update(CRAWL_PROGRESS_SHARE, phase=f"rendering: page {done + 1} of {total}")

    urls = choose_pages(candidates, context.root_url, limit)
    drafts = render_pages(context, renderer, urls, on_rendered, progress, reason, challenged)
    return drafts + extra


def _challenged_hosts(collection: Collection) -> frozenset[str]:
    """Hosts that answered the crawler with a challenge or block page (the bot_protection collector's count)."""
    run = collection.runs.get("bot_protection")
    if run is None:
        return frozenset()
    hosts = run.collector.state().get("hosts") or {}
    return frozenset(host for host, entry in hosts.items() if int(entry.get("blocked") or 0) > 0)


def rendered_as_crawled(page: RenderedPage, page_class: str, depth: int) -> CrawledPage:
    """A page rendered past a challenge, as the page-level collectors read a crawled one: its DOM and headers."""
    fetch = FetchResult(
        requested_url=page.url,
        final_url=page.final_url,
        status=page.status,
        headers=list(page.headers),
        content_type="text/html",
        decoded_bytes=len(page.dom.encode()),
    )
    return CrawledPage(
        url=canonical_url(page.final_url) or page.url,
        requested_url=page.url,
        host=url_host(page.final_url),
        page_class=page_class,
        depth=depth,
        fetch=fetch,
        html=page.dom,
        discovered_via="rendered",
    )


def _past_challenge_items(
    collection: Collection, context: CollectContext, page: RenderedPage, depth: int
) -> list[EvidenceDraft]:
    """Items from a page the browser rendered past a challenge, each saying it came from the rendered page."""
    home = page.url == context.root_url
    crawled = rendered_as_crawled(page, PageClass.HOME if home else classify(page.url, page.title), depth)
    drafts: list[EvidenceDraft] = []
    for name, run in collection.active():
        if name in READS_RENDERED:
            drafts.extend(_call(name, run, lambda r=run: r.collector.on_page(crawled, context), context))
        elif name == "bot_protection":
            _call(name, run, lambda r=run: r.collector.on_passed_page(crawled, context), context)
    for draft in drafts:
        draft.data["seen_in"] = "rendered"
    return drafts


def _render_limit(settings: Settings, scan: Scan) -> int:
    """Pages to render: the setting, narrowed (never widened) by the scan's `metadata.render.pages`."""
    requested = scan.metadata.get("render")
    limit = max(0, settings.render_pages)
    if isinstance(requested, Mapping) and "pages" in requested:
        with contextlib.suppress(TypeError, ValueError):  # a malformed override changes nothing
            limit = max(0, min(limit, int(requested["pages"])))
    return limit


def _check_home(page: CrawledPage) -> None:
    """The home page must answer: a refusal fails the scan, a network failure is retried."""
    if page.status is not None:
        return
    code = page.fetch.error_code or "fetch_failed"
    message = page.fetch.error_message or code
    if code.startswith(REFUSAL_PREFIXES):
        raise FetchRefused(message, code=code)
    raise FetchError(f"{page.requested_url} could not be fetched: {message}", code=code)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
