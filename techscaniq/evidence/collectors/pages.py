"""Page evidence (docs/evidence.md §3): one item per fetched URL, fetch failures, and the site's locales.

Also the small HTML helpers every page-level collector shares (parse once per page, block texts, sentences,
links), so each collector reads the same text the same way.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from selectolax.lexbor import LexborHTMLParser, LexborNode

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import (
    BaseCollector,
    CollectContext,
    CrawledPage,
    PageClass,
    register,
)
from techscaniq.evidence.crawler import failure_code as crawl_failure_code
from techscaniq.evidence.crawler import looks_binary
from techscaniq.evidence.urls import join_url

# Classes whose main text is worth extracting (trafilatura is the expensive step of page analysis).
EVIDENCE_BEARING_CLASSES = frozenset(
    {
        PageClass.PRICING,
        PageClass.SECURITY,
        PageClass.PRIVACY,
        PageClass.TERMS,
        PageClass.CAREERS,
        PageClass.DOCS,
        PageClass.ABOUT,
        PageClass.CUSTOMERS,
        PageClass.INTEGRATIONS,
        PageClass.STATUS,
    }
)
MAIN_TEXT_EXCERPT_CHARS = 300
# Bounds on the work one page may cost: a 5 MiB table must not hold the crawl for seconds.
MAX_MAIN_TEXT_INPUT_BYTES = 1024 * 1024
MAX_BLOCKS_PER_PAGE = 3000
MAX_LOCALES = 60
MAX_TEXT_CHARS = 500
BLOCK_SELECTOR = "p, li, td, th, dd, dt, blockquote, figcaption, caption, h1, h2, h3, h4, h5, h6"
NESTED_BLOCK_SELECTOR = "p, li, td, blockquote"
# Blocks (headings excepted) that hold another block: their text is read from the inner blocks instead.
CONTAINER_BLOCK_SELECTOR = ", ".join(
    f"{tag}:has({NESTED_BLOCK_SELECTOR})"
    for tag in ("p", "li", "td", "th", "dd", "dt", "blockquote", "figcaption", "caption")
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
NON_TEXT_TAGS = "script, style, noscript, template"
# Abbreviations that end with a dot inside a sentence.
_ABBREVIATIONS = re.compile(
    r"\b(?:Inc|Ltd|Corp|Co|LLC|Mr|Mrs|Ms|Dr|St|No|vs|etc|e\.g|i\.e|U\.S|approx|Jan|Feb|Mar|Apr|Jun|Jul|Aug"
    r"|Sep|Sept|Oct|Nov|Dec)\.$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")

# What lxml-based parsers (trafilatura, extruct) raise on hostile markup or broken embedded JSON.
PARSER_ERRORS = (etree.LxmlError, ValueError, TypeError, LookupError, AttributeError, RecursionError)

_parsed_cache = threading.local()
_links_cache = threading.local()  # several collectors read the same page's links
_blocks_cache = threading.local()  # and its text blocks


def clean_text(text: str | None) -> str:
    """Collapse whitespace to single spaces."""
    return " ".join((text or "").split())


def parsed(page: CrawledPage) -> LexborHTMLParser | None:
    """The page's parsed HTML (parsed once per page and thread), or None for non-HTML pages."""
    if not page.html:
        return None
    if isinstance(page.tree, LexborHTMLParser):
        return page.tree
    cached = getattr(_parsed_cache, "entry", None)
    if cached is not None and cached[0] is page:
        return cached[1]
    tree = LexborHTMLParser(page.html)
    _parsed_cache.entry = (page, tree)
    return tree


def attr(node: LexborNode, name: str) -> str:
    """An attribute's value, "" when absent or valueless."""
    return (node.attributes.get(name) or "").strip()


def node_text(node: LexborNode, separator: str = " ") -> str:
    """The node's text with whitespace collapsed (separator goes between text nodes)."""
    return clean_text(node.text(deep=True, separator=separator))


def block_texts(tree: LexborHTMLParser) -> tuple[tuple[LexborNode, str], ...]:
    """Text blocks (paragraphs, list items, cells, headings) that contain no other such block (bounded, cached)."""
    cached = getattr(_blocks_cache, "entry", None)
    if cached is not None and cached[0] is tree:
        blocks: tuple[tuple[LexborNode, str], ...] = cached[1]
        return blocks
    containers = {node.mem_id for node in tree.css(CONTAINER_BLOCK_SELECTOR)}
    out: list[tuple[LexborNode, str]] = []
    for node in tree.css(BLOCK_SELECTOR)[:MAX_BLOCKS_PER_PAGE]:
        if node.mem_id in containers:
            continue
        # Inline elements inside a block are joined as written ("e-mail <a>us</a>." stays "e-mail us.").
        text = node_text(node, separator="")
        if text:
            out.append((node, text))
    blocks = tuple(out)
    _blocks_cache.entry = (tree, blocks)
    return blocks


def sentences(text: str) -> list[str]:
    """Split a block of text into sentences (keeping abbreviations such as "Inc." inside)."""
    out: list[str] = []
    pending = ""
    for piece in _SENTENCE_END.split(clean_text(text)):
        pending = f"{pending} {piece}" if pending else piece
        if _ABBREVIATIONS.search(pending):
            continue
        out.append(pending)
        pending = ""
    if pending:
        out.append(pending)
    return out


def absolute_url(base: str, href: str) -> str | None:
    """An absolute http(s) URL for href without its fragment, or None for other schemes and junk."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "data:")):
        return None
    try:
        return _web_url_without_fragment(join_url(base, href))
    except ValueError:
        return None


@lru_cache(maxsize=32_768)
def _web_url_without_fragment(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def page_links(tree: LexborHTMLParser, base: str) -> tuple[tuple[str, str], ...]:
    """Every http(s) link of the page as (absolute URL, anchor text); computed once per page and thread."""
    cached = getattr(_links_cache, "entry", None)
    if cached is not None and cached[0] is tree and cached[1] == base:
        links: tuple[tuple[str, str], ...] = cached[2]
        return links
    out: list[tuple[str, str]] = []
    for node in tree.css("a[href]"):
        url = absolute_url(base, attr(node, "href"))
        if url is not None:
            out.append((url, node_text(node)))
    links = tuple(out)
    _links_cache.entry = (tree, base, links)
    return links


def mailto_addresses(tree: LexborHTMLParser) -> list[str]:
    """E-mail addresses of mailto: links, lower-cased, in order of appearance."""
    out: list[str] = []
    for node in tree.css('a[href^="mailto:" i]'):
        address = attr(node, "href")[7:].split("?", 1)[0].strip().lower()
        if "@" in address and address not in out:
            out.append(address)
    return out


def visible_word_count(tree: LexborHTMLParser) -> int:
    """Words of the body text, script and style contents excluded."""
    body = tree.body
    if body is None:
        return 0
    words = len(body.text(deep=True, separator=" ").split())
    hidden = sum(len(node.text(deep=True, separator=" ").split()) for node in body.css(NON_TEXT_TAGS))
    return max(0, words - hidden)


def main_text(page: CrawledPage, tree: LexborHTMLParser) -> str | None:
    """The page's main text by trafilatura, from its <main> landmark when it has one; None if too big."""
    import trafilatura

    if len(page.fetch.body) > MAX_MAIN_TEXT_INPUT_BYTES:
        return None
    landmarks = tree.css("main")
    # The landmark bounds the search: navigation and footers stay out and trafilatura reads a fraction of
    # the page. An empty landmark (an app shell that fills it with scripts) falls back to the whole page.
    inputs = [f"<html><body>{landmarks[0].html}</body></html>"] if len(landmarks) == 1 else []
    for source in [*inputs, page.fetch.body]:
        try:
            text = trafilatura.extract(source, options=_main_text_options())
        except PARSER_ERRORS:  # hostile markup: no main text rather than a failed collector
            return None
        if text:
            return text
    return None


def _main_text_facts(page: CrawledPage, tree: LexborHTMLParser) -> dict[str, Any]:
    text = main_text(page, tree)
    if not text:
        return {}
    return {
        "main_text_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "main_text_words": len(text.split()),
        "main_text_excerpt": clean_text(text)[:MAIN_TEXT_EXCERPT_CHARS],
    }


@lru_cache(maxsize=1)
def _main_text_options() -> Any:
    """trafilatura's options, built once (building them per page reads its configuration each time)."""
    from trafilatura.settings import Extractor

    # fast: no fallback extractors; the text feeds only a hash, a word count and an excerpt.
    return Extractor(fast=True, comments=False, tables=True)


def failure_code(page: CrawledPage) -> str | None:
    """The page's fetch error code, http_<status> for a 4xx/5xx answer, binary_content for bytes sold as text."""
    return crawl_failure_code(page.fetch, binary=not page.html and looks_binary(page.fetch.body))


@register("pages")
class PagesCollector(BaseCollector):
    """One `page` item per fetched URL, `fetch_failure` items, and the site's `locales`."""

    name = "pages"

    def __init__(self) -> None:
        self._hreflang: dict[str, str] = {}
        self._langs: dict[str, int] = {}
        self._source: str | None = None
        self._main_texts: dict[str, int] = {}  # per page class, pages whose main text was asked for

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """A page item (and a fetch_failure when the fetch failed or answered 4xx/5xx)."""
        items: list[EvidenceDraft] = []
        code = failure_code(page)
        if code is not None:
            items.append(self._failure(page, code, context))
        if page.status is None:
            return items
        data: dict[str, Any] = {
            "requested_url": page.requested_url,
            "final_url": page.fetch.final_url,
            "status": page.status,
            "content_type": page.fetch.content_type,
            "page_class": page.page_class,
            "depth": page.depth,
            "discovered_via": page.discovered_via,
            "sitemap_lastmod": page.sitemap_lastmod,
            "redirects": len(page.fetch.redirects),
        }
        tree = parsed(page)
        if tree is not None:
            data.update(self._html_facts(page, tree))
            if self._wants_main_text(page, context):
                data.update(_main_text_facts(page, tree))
        title = data.get("title") or page.url
        words = data.get("word_count")
        summary = f"{page.url} answered {page.status} ({page.page_class} page"
        summary += f", {words} words)." if words is not None else ")."
        items.append(
            context.draft(
                self.name,
                EvidenceType.PAGE,
                EvidenceCategory.PAGES,
                key=page.url,
                title=f"Page: {title}"[:MAX_TEXT_CHARS],
                summary=summary,
                source_url=page.url,
                data=data,
                confidence=0.95,
            )
        )
        return items

    def _html_facts(self, page: CrawledPage, tree: LexborHTMLParser) -> dict[str, Any]:
        title_node = tree.css_first("title")
        description = tree.css_first('meta[name="description" i]')
        canonical = tree.css_first('link[rel~="canonical" i]')
        html_node = tree.css_first("html")
        lang = attr(html_node, "lang").lower() if html_node is not None else ""
        hreflang: dict[str, str] = {}
        for node in tree.css("link[hreflang][href]"):
            code = attr(node, "hreflang").lower()
            url = absolute_url(page.url, attr(node, "href"))
            if code and url and len(hreflang) < MAX_LOCALES:
                hreflang[code] = url
        facts: dict[str, Any] = {
            "title": node_text(title_node)[:MAX_TEXT_CHARS] if title_node is not None else None,
            "meta_description": attr(description, "content")[:MAX_TEXT_CHARS] if description else None,
            "canonical": absolute_url(page.url, attr(canonical, "href")) if canonical else None,
            "lang": lang or None,
            "hreflang": hreflang,
            "word_count": visible_word_count(tree),
            "outlinks": len({url for url, _ in page_links(tree, page.url)}),
        }
        self._remember_locales(page, lang, hreflang)
        return facts

    def _wants_main_text(self, page: CrawledPage, context: CollectContext) -> bool:
        """Evidence-bearing pages, the first N of each class in crawl (priority) order."""
        if page.page_class not in EVIDENCE_BEARING_CLASSES:
            return False
        done = self._main_texts.get(page.page_class, 0)
        if done >= context.settings.main_text_pages_per_class:
            return False  # the 120th guide's excerpt tells an analyst nothing the first 20 did not
        self._main_texts[page.page_class] = done + 1
        return True

    def _remember_locales(self, page: CrawledPage, lang: str, hreflang: Mapping[str, str]) -> None:
        if lang and (lang in self._langs or len(self._langs) < MAX_LOCALES):
            self._langs[lang] = self._langs.get(lang, 0) + 1
        for code, url in hreflang.items():
            if code not in self._hreflang and len(self._hreflang) < MAX_LOCALES:
                self._hreflang[code] = url
                self._source = self._source or page.url

    def _failure(self, page: CrawledPage, code: str, context: CollectContext) -> EvidenceDraft:
        message = page.fetch.error_message or (f"HTTP {page.status}" if page.status else code)
        return context.draft(
            self.name,
            EvidenceType.FETCH_FAILURE,
            EvidenceCategory.PAGES,
            key=page.requested_url,
            title=f"Fetch failed: {page.requested_url}"[:MAX_TEXT_CHARS],
            summary=f"Fetching {page.requested_url} failed with {code}.",
            source_url=page.requested_url,
            data={
                "requested_url": page.requested_url,
                "final_url": page.fetch.final_url,
                "error_code": code,
                "message": message[:MAX_TEXT_CHARS],
                "status": page.status,
                "attempts": page.fetch.attempts,
                "truncated": page.fetch.truncated,
                "page_class": page.page_class,
            },
            confidence=0.95,
        )

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """One `locales` item when the site declares alternate languages or several page languages."""
        languages = sorted(code for code in self._hreflang if code != "x-default")
        page_langs = sorted(self._langs)
        if not languages and len(page_langs) < 2:
            return ()
        all_languages = sorted(set(languages) | set(page_langs))
        summary = f"The site is offered in {len(all_languages)} languages: {', '.join(all_languages)}."
        return [
            context.draft(
                self.name,
                EvidenceType.LOCALES,
                EvidenceCategory.BUSINESS,
                key="locales",
                title=f"{len(all_languages)} site languages",
                summary=summary,
                source_url=self._source or context.root_url,
                data={
                    "languages": all_languages,
                    "hreflang": dict(sorted(self._hreflang.items())),
                    "page_languages": dict(sorted(self._langs.items())),
                    "x_default": self._hreflang.get("x-default"),
                },
                confidence=0.9,
            )
        ]

    def state(self) -> dict[str, Any]:
        """The hreflang alternates, page-language counts and main texts per class seen so far."""
        return {
            "hreflang": dict(self._hreflang),
            "langs": dict(self._langs),
            "source": self._source,
            "main_texts": dict(self._main_texts),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed locale facts."""
        self._hreflang = dict(state.get("hreflang") or {})
        self._langs = {str(k): int(v) for k, v in (state.get("langs") or {}).items()}
        self._source = state.get("source")
        self._main_texts = {str(k): int(v) for k, v in (state.get("main_texts") or {}).items()}
