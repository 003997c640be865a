"""The collector plug-in contract: what a collector is given, what it returns, and how it fails alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from techscaniq.config import Settings
from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, Scan
from techscaniq.evidence.bot_protection import NOT_PROTECTED, BotCheck
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher


class PageClass:
    """The page classes of docs/evidence.md §3 (string constants, stored in page evidence)."""

    PRICING = "pricing"
    CAREERS = "careers"
    SECURITY = "security"
    PRIVACY = "privacy"
    TERMS = "terms"
    DOCS = "docs"
    BLOG = "blog"
    CUSTOMERS = "customers"
    INTEGRATIONS = "integrations"
    ABOUT = "about"
    STATUS = "status"
    CONTACT = "contact"
    HOME = "home"
    OTHER = "other"


@dataclass(frozen=True)
class CrawledPage:
    """One fetched page as the crawler hands it to collectors."""

    url: str  # canonical URL of the final response
    requested_url: str
    host: str
    page_class: str
    depth: int
    fetch: FetchResult
    html: str  # decoded text for HTML responses, "" otherwise
    discovered_via: str  # "seed", "robots", "sitemap", "link", "probe"
    sitemap_lastmod: str | None = None
    # The crawler's parse of `html` (a selectolax LexborHTMLParser), shared so collectors do not parse again.
    tree: Any = field(default=None, compare=False, repr=False)
    # The bot-protection verdict on the response: a challenge page says nothing about the company.
    bot_check: BotCheck = NOT_PROTECTED

    @property
    def challenged(self) -> bool:
        """True when the response was a bot-protection challenge or block page, not the site's content."""
        return self.bot_check.challenged

    @property
    def status(self) -> int | None:
        """HTTP status of the final response (None when the fetch failed)."""
        return self.fetch.status

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """Response headers in order, each Set-Cookie separate."""
        return tuple(self.fetch.headers)

    @property
    def is_html(self) -> bool:
        """True when the page was HTML and parsed."""
        return bool(self.html)


@dataclass
class CollectContext:
    """What every collector may use: the scan, settings, the crawl's shared fetcher and crawl-wide facts."""

    scan: Scan
    settings: Settings
    fetcher: GuardedFetcher
    root_url: str  # the home page's final URL
    registrable_domain: str
    robots_txt: str | None = None
    checkpoint: Callable[[], None] = lambda: None  # raises when the scan was cancelled
    extras: dict[str, Any] = field(default_factory=dict)  # crawl facts shared between collectors

    def draft(
        self,
        collector: str,
        type_: EvidenceType,
        category: EvidenceCategory,
        *,
        key: str,
        title: str,
        summary: str,
        source_url: str,
        data: Mapping[str, Any] | None = None,
        confidence: float = 0.9,
    ) -> EvidenceDraft:
        """Build an evidence draft with the collector's name filled in."""
        return EvidenceDraft(
            type=type_,
            category=category,
            title=title[:500],
            summary=summary,
            data=dict(data or {}),
            source_url=source_url,
            collector=collector,
            confidence=confidence,
            dedup_key=key[:512],
        )

    def observed(
        self,
        collector: str,
        category: EvidenceCategory,
        type_: EvidenceType,
        *,
        key: str,
        title: str,
        summary: str,
        source_url: str,
        data: dict[str, Any],
        confidence: float,
    ) -> EvidenceDraft:
        """A draft whose data says `status: observed` unless it already names a status (set on `data` itself)."""
        data.setdefault("status", "observed")
        return self.draft(
            collector,
            type_,
            category,
            key=key,
            title=title,
            summary=summary,
            source_url=source_url,
            data=data,
            confidence=confidence,
        )


class Collector(Protocol):
    """A registered evidence source. A fresh instance serves one scan; it may keep state between calls."""

    name: str

    def begin(self, context: CollectContext) -> None:
        """Work that needs no page (DNS questions), on its own thread beside the crawl; finish() may use it."""
        ...

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Items from one fetched page (called as pages arrive, in crawl order)."""
        ...

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Site-level items once the crawl is over (may fetch more through context.fetcher)."""
        ...

    def state(self) -> dict[str, Any]:
        """JSON-safe state to checkpoint, so a resumed crawl can finish() correctly."""
        ...

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the state a previous delivery checkpointed."""
        ...


class BaseCollector:
    """Convenience base: no items, no state."""

    name = "base"

    def begin(self, context: CollectContext) -> None:
        """Nothing to start early by default."""
        return None

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """No page-level items by default."""
        return ()

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """No site-level items by default."""
        return ()

    def state(self) -> dict[str, Any]:
        """Nothing to checkpoint by default."""
        return {}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Nothing to restore by default."""
        return None


CollectorFactory = Callable[[], Collector]
_REGISTRY: dict[str, CollectorFactory] = {}


def register(name: str) -> Callable[[CollectorFactory], CollectorFactory]:
    """Class decorator: make a collector available to every scan under this name."""

    def wrap(factory: CollectorFactory) -> CollectorFactory:
        _REGISTRY[name] = factory
        return factory

    return wrap


def registered() -> dict[str, CollectorFactory]:
    """Every registered collector, by name (importing techscaniq.evidence.collectors loads them all)."""
    return dict(_REGISTRY)
