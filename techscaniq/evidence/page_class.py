"""Page classes by path, anchor text or title (docs/evidence.md §3), and crawl priority by evidence value."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from techscaniq.evidence.collectors.base import PageClass
from techscaniq.evidence.urls import (
    ATS_HOST_SUFFIXES,
    DOCS_HOST_SUFFIXES,
    STATUS_HOST_SUFFIXES,
    TRUST_HOST_SUFFIXES,
    host_under,
    path_depth,
)

# Keywords per class, tried in this order (the first class with a match wins). Path segments are split on
# "-", "_" and "." so "soc-2" and "case-studies" match as phrases.
CLASS_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (PageClass.PRICING, ("pricing", "plans", "plan", "buy", "editions", "price", "prices")),
    (
        PageClass.CAREERS,
        ("careers", "career", "jobs", "job", "join us", "work with us", "hiring", "open roles"),
    ),
    (PageClass.STATUS, ("status", "system status", "uptime")),
    (
        PageClass.SECURITY,
        ("security", "trust", "trust center", "compliance", "soc 2", "soc2", "gdpr", "disclosure", "vdp"),
    ),
    (PageClass.PRIVACY, ("privacy", "privacy policy", "cookie policy", "cookies", "cookie")),
    (
        PageClass.TERMS,
        (
            "terms",
            "tos",
            "legal",
            "msa",
            "eula",
            "dpa",
            "subprocessors",
            "sub processors",
            "terms of service",
        ),
    ),
    (
        PageClass.DOCS,
        (
            "docs",
            "documentation",
            "developers",
            "developer",
            "api",
            "api reference",
            "reference",
            "sdk",
            "sdks",
        ),
    ),
    (
        PageClass.CUSTOMERS,
        ("customers", "customer stories", "case studies", "case study", "stories", "testimonials"),
    ),
    (
        PageClass.INTEGRATIONS,
        ("integrations", "integration", "marketplace", "apps", "partners", "app directory"),
    ),
    (PageClass.ABOUT, ("about", "about us", "company", "team", "leadership", "our story")),
    (
        PageClass.CONTACT,
        ("contact", "contact us", "demo", "book a demo", "sales", "talk to sales", "support"),
    ),
    (
        PageClass.BLOG,
        ("blog", "news", "press", "changelog", "release notes", "releases", "newsroom", "whats new"),
    ),
)
# Leftmost host labels that decide the class of a whole host.
HOST_CLASSES = {
    "status": PageClass.STATUS,
    "trust": PageClass.SECURITY,
    "security": PageClass.SECURITY,
    "docs": PageClass.DOCS,
    "developer": PageClass.DOCS,
    "developers": PageClass.DOCS,
    "jobs": PageClass.CAREERS,
    "careers": PageClass.CAREERS,
    "boards": PageClass.CAREERS,
}
HOSTED_CLASSES = (
    (ATS_HOST_SUFFIXES, PageClass.CAREERS),
    (STATUS_HOST_SUFFIXES, PageClass.STATUS),
    (TRUST_HOST_SUFFIXES, PageClass.SECURITY),
    (DOCS_HOST_SUFFIXES, PageClass.DOCS),
)

# Crawl order of docs/evidence.md §2 step 5: evidence-bearing classes first, blog and news last.
CLASS_RANK = {
    PageClass.HOME: 0,
    PageClass.PRICING: 1,
    PageClass.SECURITY: 2,
    PageClass.CAREERS: 3,
    PageClass.DOCS: 4,
    PageClass.ABOUT: 5,
    PageClass.CUSTOMERS: 6,
    PageClass.INTEGRATIONS: 7,
    PageClass.TERMS: 8,
    PageClass.PRIVACY: 9,
    PageClass.STATUS: 10,
    PageClass.CONTACT: 11,
    PageClass.OTHER: 12,
    PageClass.BLOG: 13,
}
EVIDENCE_CLASSES = frozenset(c for c, rank in CLASS_RANK.items() if rank < CLASS_RANK[PageClass.OTHER])
# Priority = group * GROUP_WEIGHT + path depth * DEPTH_WEIGHT + class rank: shallow evidence pages of every
# class come before any deeper one, so a tight page cap still covers each class.
GROUP_WEIGHT = 10_000
EVIDENCE_GROUP, OTHER_GROUP, BLOG_GROUP = 0, 1, 2
DEPTH_WEIGHT = 100
MAX_COUNTED_DEPTH = 9
BLOG_INDEX_PATHS = frozenset(
    {"blog", "news", "press", "changelog", "release-notes", "releases", "newsroom", "updates", "whats-new"}
)

_SPLIT = re.compile(r"[^a-z0-9]+")


def _words(text: str) -> str:
    """Lower-case words joined by single spaces, padded so phrase matches respect word boundaries."""
    return " " + " ".join(w for w in _SPLIT.split(text.lower()) if w) + " "


@lru_cache(maxsize=16_384)  # path segments and anchor texts repeat across a site
def _match(text: str) -> str | None:
    words = _words(text)
    if words.strip() == "":
        return None
    for page_class, keywords in CLASS_KEYWORDS:
        if any(f" {keyword} " in words for keyword in keywords):
            return page_class
    return None


@lru_cache(maxsize=4096)
def _host_class(host: str) -> str | None:
    for suffixes, page_class in HOSTED_CLASSES:
        if host_under(host, suffixes):
            return page_class
    labels = host.split(".")
    return HOST_CLASSES.get(labels[0]) if len(labels) > 2 else None


def classify(url: str, title: str | None = None, anchor_texts: Iterable[str] = ()) -> str:
    """The page class of a URL: by host, then path (deepest segment first), then anchor texts, then title."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    by_host = _host_class(host)
    if by_host is not None:
        return by_host
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return PageClass.HOME
    # The first segment names the section (/legal/dpa is terms, /security/disclosure is security).
    for segment in segments:
        found = _match(segment)
        if found is not None:
            return found
    for text in anchor_texts:
        found = _match(text)
        if found is not None:
            return found
    if title:
        found = _match(title.split("|")[0])
        if found is not None:
            return found
    return PageClass.OTHER


def is_blog_post(page_class: str, url: str) -> bool:
    """True for a dated post under a blog, news or changelog section (not the section's index page)."""
    if page_class != PageClass.BLOG:
        return False
    segments = [s.lower() for s in urlsplit(url).path.split("/") if s]
    return not (len(segments) <= 1 and (not segments or segments[0] in BLOG_INDEX_PATHS))


def blog_section(url: str) -> str:
    """The host and first path segment of a blog post, so each section is sampled on its own."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    return f"{parts.netloc}/{segments[0] if segments else ''}"


def priority(page_class: str, url: str) -> int:
    """Crawl priority (lower first): evidence-bearing classes, shallow paths and the home page first; blog last."""
    rank = CLASS_RANK.get(page_class, CLASS_RANK[PageClass.OTHER])
    group = EVIDENCE_GROUP if page_class in EVIDENCE_CLASSES else OTHER_GROUP
    if page_class == PageClass.BLOG:
        group = BLOG_GROUP
    depth = min(path_depth(url), MAX_COUNTED_DEPTH)
    return group * GROUP_WEIGHT + depth * DEPTH_WEIGHT + rank
