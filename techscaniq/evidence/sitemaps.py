"""Sitemaps (sitemaps.org): our own parser on lxml with entities, DTDs and the network off; gzip; indexes."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind

MIB = 1024 * 1024
MAX_SITEMAP_DECODED_BYTES = 50 * MIB
MAX_SITEMAP_URLS = 50_000
MAX_INDEX_DEPTH = 3
MAX_SITEMAP_FILES = 100
GZIP_MAGIC = b"\x1f\x8b"
INFLATE_CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a urlset: its location and, when given, its lastmod text."""

    url: str
    lastmod: str | None = None


@dataclass(frozen=True)
class SitemapError:
    """A sitemap problem, kept as data: the file, a stable code and a message."""

    url: str
    code: str
    message: str


@dataclass
class ParsedSitemap:
    """One sitemap file: its entries (urlset) or child sitemaps (sitemapindex), and its problems."""

    kind: str  # "urlset", "sitemapindex" or "unknown"
    entries: list[SitemapEntry] = field(default_factory=list)
    children: list[SitemapEntry] = field(default_factory=list)
    errors: list[SitemapError] = field(default_factory=list)


@dataclass
class SitemapCollection:
    """Every entry found from a set of starting sitemaps, the files read, and the problems met."""

    entries: list[SitemapEntry] = field(default_factory=list)
    errors: list[SitemapError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    decoded_bytes: int = 0


def _secure_parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


def gunzip_capped(data: bytes, max_bytes: int = MAX_SITEMAP_DECODED_BYTES) -> tuple[bytes, bool, bool]:
    """Inflate gzip data, stopping past max_bytes: (bytes, over the cap, stream complete). Raises zlib.error."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = data
    while pending:
        out += inflater.decompress(pending, INFLATE_CHUNK_BYTES)
        if len(out) > max_bytes:
            return bytes(out[:max_bytes]), True, False
        pending = inflater.unconsumed_tail
        if inflater.eof:
            break
    return bytes(out), False, inflater.eof


def _localname(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _localname(child) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def parse_sitemap(
    body: bytes, url: str, *, max_urls: int = MAX_SITEMAP_URLS, max_bytes: int = MAX_SITEMAP_DECODED_BYTES
) -> ParsedSitemap:
    """Parse one sitemap file (gzip or plain XML) from bytes; never reads a URL, entity or DTD."""
    errors: list[SitemapError] = []
    if body.startswith(GZIP_MAGIC):
        try:
            body, over_cap, complete = gunzip_capped(body, max_bytes)
        except zlib.error as exc:
            return ParsedSitemap("unknown", errors=[SitemapError(url, "sitemap_bad_gzip", str(exc))])
        if over_cap:
            errors.append(SitemapError(url, "sitemap_too_large", f"over {max_bytes} bytes once inflated"))
        elif not complete:
            errors.append(SitemapError(url, "sitemap_bad_gzip", "the gzip stream ends early"))
            if not body:
                return ParsedSitemap("unknown", errors=errors)
    elif len(body) > max_bytes:
        body = body[:max_bytes]
        errors.append(SitemapError(url, "sitemap_too_large", f"over {max_bytes} bytes"))
    try:
        root = etree.fromstring(body, _secure_parser(recover=False))
    except etree.XMLSyntaxError as exc:
        errors.append(SitemapError(url, "sitemap_invalid_xml", str(exc)[:300]))
        try:
            root = etree.fromstring(body, _secure_parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
    if root is None:
        return ParsedSitemap("unknown", errors=errors)
    kind = _localname(root)
    if kind not in ("urlset", "sitemapindex"):
        errors.append(SitemapError(url, "sitemap_unknown_root", f"root element <{kind}>"))
        return ParsedSitemap("unknown", errors=errors)
    wanted = "url" if kind == "urlset" else "sitemap"
    found: list[SitemapEntry] = []
    for element in root:
        if _localname(element) != wanted:
            continue
        loc = _child_text(element, "loc")
        if not loc:
            continue
        if len(found) >= max_urls:
            errors.append(SitemapError(url, "sitemap_too_many_urls", f"more than {max_urls} entries"))
            break
        found.append(SitemapEntry(loc, _child_text(element, "lastmod")))
    if kind == "urlset":
        return ParsedSitemap(kind, entries=found, errors=errors)
    return ParsedSitemap(kind, children=found, errors=errors)


def collect_sitemaps(
    fetcher: GuardedFetcher,
    start_urls: list[str],
    *,
    accept_url: Callable[[str], bool] = lambda url: True,
    max_urls: int = MAX_SITEMAP_URLS,
    max_depth: int = MAX_INDEX_DEPTH,
    max_files: int = MAX_SITEMAP_FILES,
    on_fetch: Callable[[FetchResult], None] = lambda result: None,
) -> SitemapCollection:
    """Fetch sitemaps through the guard, following index files up to max_depth, within the URL cap.

    accept_url filters both child sitemaps and page URLs (e.g. to the crawl scope); on_fetch sees every fetch.
    """
    collection = SitemapCollection()
    seen_files: set[str] = set()
    seen_urls: set[str] = set()
    queue: list[tuple[str, int]] = [(url, 1) for url in start_urls]
    while queue:
        url, depth = queue.pop(0)
        if url in seen_files:
            continue
        if len(seen_files) >= max_files:
            collection.errors.append(SitemapError(url, "sitemap_too_many_files", f"over {max_files} files"))
            break
        seen_files.add(url)
        result = fetcher.fetch(url, kind=ResourceKind.SITEMAP)
        on_fetch(result)
        collection.files.append(url)
        collection.decoded_bytes += result.decoded_bytes
        if not result.ok:
            code = result.error_code or f"http_{result.status}"
            collection.errors.append(SitemapError(url, code, result.error_message or f"HTTP {result.status}"))
            if result.error_code != "body_too_large" or not result.body:
                continue
        remaining = max_urls - len(collection.entries)
        parsed = parse_sitemap(result.body, url, max_urls=max(remaining, 0))
        collection.errors.extend(parsed.errors)
        for entry in parsed.entries:
            if entry.url not in seen_urls and accept_url(entry.url):
                seen_urls.add(entry.url)
                collection.entries.append(entry)
        for child in parsed.children:
            if depth >= max_depth:
                collection.errors.append(
                    SitemapError(child.url, "sitemap_index_too_deep", f"index nesting over {max_depth}")
                )
            elif accept_url(child.url):
                queue.append((child.url, depth + 1))
    return collection
