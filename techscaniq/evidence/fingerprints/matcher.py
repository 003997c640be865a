"""Technology fingerprint matcher for data in the Wappalyzer technology format.

Pure: it reads only the page and site signals it is given and makes no requests.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import ahocorasick_rs
import regex
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from techscaniq.evidence.fingerprints.regexes import bound_repetition as bound_repetition
from techscaniq.evidence.fingerprints.regexes import js_to_python, required_literals
from techscaniq.evidence.fingerprints.regexes import selector_literals as selector_literals

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"

REGEX_FLAGS = regex.IGNORECASE | regex.ASCII
REGEX_TIMEOUT_SECONDS = 0.1  # backstop against catastrophic backtracking in operator data
HTML_HEAD_CHARS = 1_500_000  # html and text patterns see the head and the tail of very large pages
HTML_TAIL_CHARS = 500_000
VALUE_MAX_CHARS = 8_192  # header, cookie, meta, src and record values longer than this are cut
EXCERPT_CHARS = 200


class Signal(StrEnum):
    """Where a pattern looks; the values are the Wappalyzer pattern keys."""

    HEADERS = "headers"
    COOKIES = "cookies"
    META = "meta"
    SCRIPT_SRC = "scriptSrc"
    SCRIPTS = "scripts"
    CSS = "css"
    HTML = "html"
    TEXT = "text"
    DOM = "dom"
    URL = "url"
    JS = "js"
    XHR = "xhr"
    DNS = "dns"
    CERT_ISSUER = "certIssuer"
    ROBOTS = "robots"
    IMPLIES = "implies"


PAGE_PLAIN = (
    Signal.SCRIPT_SRC,
    Signal.SCRIPTS,
    Signal.CSS,
    Signal.HTML,
    Signal.TEXT,
    Signal.URL,
    Signal.XHR,
)
MAX_JS_CHAIN_PARTS = 6  # a `js` chain is at most this many properties deep (the browser reads no deeper)
_JS_CHAIN = re.compile(rf"[^.\s]+(?:\.[^.\s]+){{0,{MAX_JS_CHAIN_PARTS - 1}}}")
SITE_PLAIN = (Signal.CERT_ISSUER, Signal.ROBOTS)


@dataclass(frozen=True)
class PageSignals:
    """What the crawl stored for one page."""

    url: str
    headers: tuple[tuple[str, str], ...]
    html: str
    cookies: Mapping[str, str] = field(default_factory=dict)
    # What a browser saw (evidence/render/): the page's globals by property chain, as strings, and the URLs of
    # its XHR and fetch requests.
    js: Mapping[str, str] = field(default_factory=dict)
    xhr: Sequence[str] = ()
    # The crawl's parse of `html` (a LexborHTMLParser), reused instead of parsing again.
    tree: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SiteSignals:
    """Site-wide signals: DNS records by type, the certificate issuer and robots.txt."""

    dns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cert_issuer: str | None = None
    robots: str | None = None


@dataclass(frozen=True)
class SignalMatch:
    """One observation behind a detection: where, which signal and key, and what was seen."""

    page_url: str | None
    signal: str
    key: str
    value: str


@dataclass(frozen=True)
class Detection:
    """A detected technology with its evidence."""

    name: str
    slug: str
    version: str | None
    confidence: int
    categories: tuple[str, ...]
    website: str | None
    saas: bool | None
    oss: bool | None
    pricing: tuple[str, ...]
    matches: tuple[SignalMatch, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)  # thousands of instances: no per-instance dict
class Pattern:
    """One checked pattern: its regex (None matches anything), pre-filter literals and tags."""

    source: str
    expression: str | None
    literals: tuple[str, ...] | None
    confidence: int
    version: str | None

    @property
    def regex(self) -> Any:
        """The compiled regex, compiled on first use (most patterns are never a page's candidate)."""
        return None if self.expression is None else _compiled(self.expression)


@functools.cache
def _compiled(expression: str) -> Any:
    return regex.compile(expression, REGEX_FLAGS)


@dataclass(frozen=True, slots=True)
class DomRule:
    """A CSS selector with optional text, attribute and property patterns."""

    selector: str
    literals: tuple[str, ...] | None
    exists: Pattern | None
    text: Pattern | None
    attributes: tuple[tuple[str, Pattern], ...]


@dataclass(frozen=True, slots=True)
class Implied:
    """A technology implied by another, with the confidence of the implication."""

    name: str
    confidence: int


@dataclass(frozen=True, slots=True)
class Technology:
    """A compiled technology definition."""

    name: str
    slug: str
    categories: tuple[str, ...]
    website: str | None
    saas: bool | None
    oss: bool | None
    pricing: tuple[str, ...]
    implies: tuple[Implied, ...]
    excludes: tuple[str, ...]
    requires: tuple[str, ...]
    requires_categories: tuple[str, ...]
    keyed: Mapping[Signal, tuple[tuple[str, Pattern], ...]]  # headers, cookies, meta, dns, js
    plain: Mapping[
        Signal, tuple[Pattern, ...]
    ]  # scriptSrc, scripts, css, html, text, url, xhr, certIssuer, robots
    dom: tuple[DomRule, ...]
    aliases: tuple[str, ...] = ()  # the names other tools (Wappalyzer, BuiltWith) give the same product


def slugify(name: str) -> str:
    """Return the Wappalyzer-style slug of a technology name."""
    return re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", name.lower())).strip("-")


# ---------------------------------------------------------------- pattern compilation


class FingerprintDataError(ValueError):
    """A fingerprint definition that cannot be used as written (bad JSON, regex, selector or shape)."""


def parse_pattern(value: str, strict: bool = False) -> Pattern | None:
    """Compile `regex\\;confidence:N\\;version:\\1`; None if the regex is invalid (strict: raise)."""
    parts = value.split("\\;")
    source, confidence, version = parts[0], 100, None
    for tag in parts[1:]:
        key, _, tag_value = tag.partition(":")
        if key == "confidence" and tag_value.isdigit():
            confidence = min(100, int(tag_value))
        elif key == "version":
            version = tag_value
        elif strict:
            raise FingerprintDataError(f"pattern {value!r} has an unknown tag {tag!r}")
    if not source:
        return Pattern(value, None, None, confidence, version)
    bounded = bound_repetition(js_to_python(source))
    try:
        # Checked now and dropped: kept compiled, ~3,000 technologies' regexes cost a worker tens of MB.
        regex.compile(bounded, REGEX_FLAGS)
    except (regex.error, OverflowError, RecursionError) as exc:
        if strict:
            raise FingerprintDataError(f"pattern {source!r} is not a valid regex: {exc}") from exc
        log.warning("fingerprint pattern skipped, invalid regex %r: %s", source, exc)
        return None
    return Pattern(value, bounded, required_literals(bounded), confidence, version)


def resolve_version(template: str, groups: Sequence[str | None]) -> str:
    """Fill a version template: `\\1` is group 1; `\\1?a:b` is a if group 1 matched, else b."""

    def ternary(m: re.Match[str]) -> str:
        idx = int(m.group(1))
        hit = idx < len(groups) and bool(groups[idx])
        return m.group(2) if hit else m.group(3)

    out = re.sub(r"\\(\d)\?([^:]*):(.*)", ternary, template)
    out = re.sub(
        r"\\(\d)", lambda m: (groups[int(m.group(1))] or "") if int(m.group(1)) < len(groups) else "", out
    )
    return out.strip().strip(".")  # `([\d.]+)` often swallows a sentence's full stop


_PROPERTY_ATTRIBUTES = {"classname": "class", "htmlfor": "for"}

_VALIDATION_TREE = LexborHTMLParser("<html><body></body></html>")


def _dom_rules(spec: Any, strict: bool = False) -> list[DomRule]:
    rules: list[DomRule] = []
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, list):
        spec = {s: {"exists": ""} for s in spec if isinstance(s, str)}
    if not isinstance(spec, dict):
        return rules
    for selector, checks in spec.items():
        try:
            _VALIDATION_TREE.css(selector)
        except (SelectolaxError, ValueError, TypeError) as exc:
            if strict:
                raise FingerprintDataError(f"dom selector {selector!r} is not valid: {exc}") from exc
            log.warning("fingerprint dom selector skipped %r: %s", selector, exc)
            continue
        checks = checks if isinstance(checks, dict) else {"exists": ""}
        exists = parse_pattern(checks["exists"], strict) if isinstance(checks.get("exists"), str) else None
        text = parse_pattern(checks["text"], strict) if isinstance(checks.get("text"), str) else None
        attributes: list[tuple[str, Pattern]] = []
        for group in ("attributes", "properties"):
            for name, value in (checks.get(group) or {}).items():
                pattern = parse_pattern(value, strict) if isinstance(value, str) else None
                if pattern:
                    attr = name.lower()
                    attributes.append((_PROPERTY_ATTRIBUTES.get(attr, attr), pattern))
        if exists is None and text is None and not attributes:
            exists = Pattern("", None, None, 100, None)
        rules.append(DomRule(selector, selector_literals(selector), exists, text, tuple(attributes)))
    return rules


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _compile_list(value: Any, strict: bool) -> tuple[Pattern, ...]:
    if strict and not isinstance(value, str | list | None):
        raise FingerprintDataError(f"expected a pattern or a list of patterns, got {type(value).__name__}")
    return tuple(p for p in (parse_pattern(v, strict) for v in _as_list(value)) if p)


def _compile_keyed(value: Any, case: Callable[[str], str], strict: bool) -> tuple[tuple[str, Pattern], ...]:
    if not isinstance(value, dict):
        if strict and value is not None:
            raise FingerprintDataError(f"expected an object of name: pattern, got {type(value).__name__}")
        return ()
    out: list[tuple[str, Pattern]] = []
    for key, patterns in value.items():
        name = case(key)
        if case is str and not _JS_CHAIN.fullmatch(key):
            if strict:
                raise FingerprintDataError(
                    f"{key!r} is not a property chain (names joined by dots, at most {MAX_JS_CHAIN_PARTS})"
                )
            log.warning("fingerprint js chain skipped: %r", key)
            continue
        out.extend((name, p) for p in _compile_list(patterns, strict))
    return tuple(out)


def _implied(value: Any) -> tuple[Implied, ...]:
    out = []
    for item in _as_list(value):
        name, *tags = item.split("\\;")
        confidence = 100
        for tag in tags:
            key, _, tag_value = tag.partition(":")
            if key == "confidence" and tag_value.isdigit():
                confidence = min(100, int(tag_value))
        out.append(Implied(name, confidence))
    return tuple(out)


# How each keyed signal spells its keys: header, cookie and meta names any case, DNS types upper, js chains as is.
KEYED_SIGNALS: dict[Signal, Callable[[str], str]] = {
    Signal.HEADERS: str.lower,
    Signal.COOKIES: str.lower,
    Signal.META: str.lower,
    Signal.DNS: str.upper,
    Signal.JS: str,
}
PLAIN_SIGNALS = (*PAGE_PLAIN, *SITE_PLAIN)


def compile_technology(
    name: str, spec: Mapping[str, Any], categories: Mapping[str, str], strict: bool = False
) -> Technology:
    """Compile one technology definition; category ids resolve through `categories`.

    Strict (an operator's files, checked at start): a bad pattern or selector raises FingerprintDataError
    naming the signal; otherwise it is skipped with a warning.
    """
    keyed: dict[Signal, tuple[tuple[str, Pattern], ...]] = {}
    plain: dict[Signal, tuple[Pattern, ...]] = {}
    current = ""
    try:
        for signal, case in KEYED_SIGNALS.items():
            current = signal.value
            keyed[signal] = _compile_keyed(spec.get(signal.value), case, strict)
        for signal in PLAIN_SIGNALS:
            current = signal.value
            plain[signal] = _compile_list(spec.get(signal.value), strict)
        current = "dom"
        dom = tuple(_dom_rules(spec["dom"], strict)) if "dom" in spec else ()
        current = "cats"
        cats = spec.get("cats", [])
        if strict and not (isinstance(cats, list) and all(isinstance(c, int | str) for c in cats)):
            raise FingerprintDataError("cats must be a list of category ids")
    except FingerprintDataError as exc:
        raise FingerprintDataError(f"technology {name!r}, {current}: {exc}") from exc
    pricing = spec.get("pricing")
    slug = spec.get("slug")
    return Technology(
        name=name,
        slug=slug if isinstance(slug, str) and slug else slugify(name),
        categories=tuple(categories.get(str(c), str(c)) for c in cats),
        website=spec.get("website") if isinstance(spec.get("website"), str) else None,
        saas=spec.get("saas") if isinstance(spec.get("saas"), bool) else None,
        oss=spec.get("oss") if isinstance(spec.get("oss"), bool) else None,
        pricing=tuple(pricing) if isinstance(pricing, list) else (),
        implies=_implied(spec.get("implies")),
        excludes=tuple(_as_list(spec.get("excludes"))),
        requires=tuple(_as_list(spec.get("requires"))),
        requires_categories=tuple(categories.get(str(c), str(c)) for c in spec.get("requiresCategory", [])),
        keyed={k: v for k, v in keyed.items() if v},
        plain={k: v for k, v in plain.items() if v},
        dom=dom,
        aliases=tuple(_as_list(spec.get("aliases"))),
    )


# ---------------------------------------------------------------- matching


class _CandidateIndex:
    """Which technologies a page could match at all: one Aho-Corasick pass finds every pre-filter literal.

    A technology is a candidate when one of its page patterns has no literal, when a literal of one of its
    page patterns occurs in the page, when a header, cookie or meta name it keys on is present, or (for site
    signals) when site signals are given. The per-pattern checks that follow are unchanged, so the index only
    skips technologies that could not have matched.
    """

    def __init__(self, technologies: Iterable[Technology]) -> None:
        self.always: set[str] = set()
        self.site: set[str] = set()
        # Per header, cookie or meta name: (the literals one of which its value must hold, or None; tech name).
        self.keyed: dict[Signal, dict[str, list[tuple[tuple[str, ...] | None, str]]]] = {
            s: {} for s in (Signal.HEADERS, Signal.COOKIES, Signal.META, Signal.JS)
        }
        self.prefixed: dict[Signal, list[tuple[str, str]]] = {s: [] for s in self.keyed}
        # The body text and stylesheet URLs join the searched text only when some technology looks at them.
        self.wants_text = False
        self.wants_css = False
        by_literal: dict[str, set[str]] = {}
        for tech in technologies:
            literal_sets = [p.literals for signal in PAGE_PLAIN for p in tech.plain.get(signal, ())]
            literal_sets += [rule.literals for rule in tech.dom]
            for literals in literal_sets:
                if literals is None or "" in literals:
                    self.always.add(tech.name)
                else:
                    for literal in literals:
                        by_literal.setdefault(literal, set()).add(tech.name)
            for signal in self.keyed:
                for key, pattern in tech.keyed.get(signal, ()):
                    if key.endswith("*"):
                        self.prefixed[signal].append((key[:-1], tech.name))
                    else:
                        self.keyed[signal].setdefault(key, []).append((pattern.literals, tech.name))
            if tech.keyed.get(Signal.DNS) or any(tech.plain.get(s) for s in SITE_PLAIN):
                self.site.add(tech.name)
            self.wants_text = self.wants_text or bool(tech.plain.get(Signal.TEXT))
            self.wants_css = self.wants_css or bool(tech.plain.get(Signal.CSS))
        self._names_by_literal = [frozenset(names) for names in by_literal.values()]
        self.searchable = len(by_literal) > 0
        # A contiguous NFA: over the 157 corpus pages about 0.6 ms slower per page than a DFA, but the DFA of 4,000+
        # literals held 29 MiB in every evidence worker, against 2 MiB (bench/fingerprint_memory.py).
        self.automaton = ahocorasick_rs.AhoCorasick(
            list(by_literal) or [" "],
            matchkind=ahocorasick_rs.MatchKind.Standard,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )

    def candidates(self, pages: Sequence[_Page], site: SiteSignals | None) -> set[str]:
        """Names of the technologies worth matching against these pages and site signals."""
        names = set(self.always)
        if site is not None:
            names |= self.site
        for page in pages:
            if self.searchable:
                parts = [page.html_lower, page.script_srcs.joined, page.url_texts.joined]
                if page.tree_html_lower is not page.html_lower:
                    parts.append(
                        page.tree_html_lower
                    )  # the selectors' and inline scripts' literals, past the cut
                if self.wants_css:
                    parts.append(page.css.joined)  # hrefs with entities decoded
                if self.wants_text:
                    parts.append(page.text_lower)  # text spans tags, so its literals may not be in the html
                if page.xhr_texts.texts:
                    parts.append(page.xhr_texts.joined)
                haystack = "\n".join(parts)
                found = {
                    index
                    for index, _, _ in self.automaton.find_matches_as_indexes(haystack, overlapping=True)
                }
                for index in found:
                    names |= self._names_by_literal[index]
            sources: dict[Signal, Mapping[str, Any]] = {
                Signal.HEADERS: page.headers,
                Signal.COOKIES: page.cookies,
                Signal.META: page.meta,
                Signal.JS: page.js,
            }
            for signal, source in sources.items():
                for key, values in source.items():
                    entries = self.keyed[signal].get(key)
                    if entries:
                        lowered = [str(v).lower() for v in (values if isinstance(values, list) else [values])]
                        for literals, name in entries:
                            if literals is None or any(lit in v for lit in literals for v in lowered):
                                names.add(name)
                for prefix, name in self.prefixed[signal]:
                    if any(key.startswith(prefix) for key in source):
                        names.add(name)
        return names


class _Texts:
    """Several texts (script URLs, inline scripts) with their lower-case forms for the pre-filter."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.lowers = [t.lower() for t in texts]
        self.joined = "\n".join(self.lowers)


class _Page:
    """Per-page views of the signals, built lazily and once."""

    def __init__(self, page: PageSignals) -> None:
        self.url = page.url
        self._given_tree = page.tree if isinstance(page.tree, LexborHTMLParser) else None
        self.html = _head_and_tail(page.html)
        # The html the tree holds: the whole page when the crawl's parse is given (selectors, scripts, meta and
        # stylesheets see all of it, and a second parse of a cut copy would cost a tree of its own), else the cut.
        self._tree_html = page.html if self._given_tree is not None else self.html
        self.headers: dict[str, list[str]] = {}
        cookies: dict[str, str] = {}
        for name, value in page.headers:
            self.headers.setdefault(name.lower(), []).append(value[:VALUE_MAX_CHARS])
            if name.lower() == "set-cookie":
                cookie_name, _, cookie_value = value.split(";", 1)[0].partition("=")
                cookies[cookie_name.strip().lower()] = cookie_value.strip()[:VALUE_MAX_CHARS]
        for name, value in page.cookies.items():
            cookies[name.lower()] = value[:VALUE_MAX_CHARS]
        self.cookies = cookies
        self.js = {chain: [str(value)[:VALUE_MAX_CHARS]] for chain, value in page.js.items()}
        # An XHR pattern sees the host and path of the request (no scheme, query or fragment): `^` anchors the host.
        self.xhr_texts = _Texts([host_and_path(url) for url in page.xhr])

    @functools.cached_property
    def html_lower(self) -> str:
        return self.html.lower()

    @functools.cached_property
    def tree_html_lower(self) -> str:
        """The lower-cased html the tree was parsed from, where the selectors' literals are looked for."""
        return self.html_lower if self._tree_html is self.html else self._tree_html.lower()

    @functools.cached_property
    def tree(self) -> LexborHTMLParser:
        return self._given_tree if self._given_tree is not None else LexborHTMLParser(self.html)

    @functools.cached_property
    def script_srcs(self) -> _Texts:
        if "<script" not in self.tree_html_lower:
            return _Texts([])
        srcs = (node.attributes.get("src") for node in self.tree.css("script[src]"))
        return _Texts([s[:VALUE_MAX_CHARS] for s in srcs if s])

    @functools.cached_property
    def scripts(self) -> _Texts:
        if "<script" not in self.tree_html_lower:
            return _Texts([])
        return _Texts([node.text(deep=True) for node in self.tree.css("script:not([src])")])

    @functools.cached_property
    def css(self) -> _Texts:
        """Stylesheet link URLs, then the text of each inline `<style>`."""
        lower = self.tree_html_lower
        if "<link" not in lower and "<style" not in lower:
            return _Texts([])
        hrefs = [
            href[:VALUE_MAX_CHARS]
            for node in self.tree.css("link[href]")
            if "stylesheet" in (node.attributes.get("rel") or "").lower()
            and (href := node.attributes.get("href"))
        ]
        styles = [node.text(deep=True) for node in self.tree.css("style")] if "<style" in lower else []
        return _Texts(hrefs + styles)

    @functools.cached_property
    def text(self) -> str:
        """The body's text: tags dropped, whitespace collapsed (what a reader sees, plus inline code)."""
        body = self.tree.body
        raw = body.text(deep=True, separator=" ") if body is not None else ""
        return _head_and_tail(" ".join(raw.split()))

    @functools.cached_property
    def text_lower(self) -> str:
        return self.text.lower()

    @functools.cached_property
    def url_texts(self) -> _Texts:
        return _Texts([self.url])

    @functools.cached_property
    def meta(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if "<meta" not in self.tree_html_lower:
            return out
        for node in self.tree.css("meta"):
            attrs = node.attributes
            key = attrs.get("name") or attrs.get("property") or attrs.get("http-equiv")
            content = attrs.get("content")
            if key and content is not None:
                out.setdefault(key.lower(), []).append(content[:VALUE_MAX_CHARS])
        return out


def _head_and_tail(text: str) -> str:
    """A very large page's text cut to its head and tail, which bounds the regular expressions' work."""
    if len(text) <= HTML_HEAD_CHARS + HTML_TAIL_CHARS:
        return text
    return text[:HTML_HEAD_CHARS] + "\n" + text[-HTML_TAIL_CHARS:]


def _search(
    pattern: Pattern, text: str, text_lower: str | None = None, prefilter: bool = True
) -> list[str | None] | None:
    """Return the groups (index 0 = the match) if the pattern matches, else None."""
    if pattern.regex is None:
        return [text[:EXCERPT_CHARS]]
    if prefilter and pattern.literals is not None:
        haystack = text_lower if text_lower is not None else text.lower()
        if not any(lit in haystack for lit in pattern.literals):
            return None
    try:
        m = pattern.regex.search(text, timeout=REGEX_TIMEOUT_SECONDS)
    except TimeoutError:
        log.warning("fingerprint pattern timed out: %r", pattern.source)
        return None
    if m is None:
        return None
    return [m.group(0), *m.groups()]


def _excerpt(text: str, groups: Sequence[str | None]) -> str:
    matched = groups[0] or ""
    if len(text) <= EXCERPT_CHARS:
        return text
    if matched and len(matched) <= EXCERPT_CHARS:
        return matched
    return (matched or text)[:EXCERPT_CHARS]


@dataclass
class _Hit:
    confidence: dict[tuple[str, str, str], int] = field(default_factory=dict)
    versions: set[str] = field(default_factory=set)
    matches: dict[tuple[str | None, str, str], SignalMatch] = field(default_factory=dict)

    def add(
        self, page_url: str | None, signal: Signal, key: str, pattern: Pattern, text: str, groups: Any
    ) -> None:
        self.confidence[(signal, key, pattern.source)] = pattern.confidence
        if pattern.version is not None:
            version = resolve_version(pattern.version, groups)
            if version:
                self.versions.add(version)
        self.matches.setdefault(
            (page_url, signal, key), SignalMatch(page_url, signal, key, _excerpt(text, groups))
        )

    @property
    def total(self) -> int:
        return min(100, sum(self.confidence.values()))


def _version_key(version: str) -> tuple[tuple[int, ...], int]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:6]), len(version)


class FingerprintMatcher:
    """Detects technologies from page and site signals with a compiled fingerprint set."""

    def __init__(self, technologies: Iterable[Technology], prefilter: bool = True) -> None:
        self.technologies: dict[str, Technology] = {t.name: t for t in technologies}
        self._position = {name: i for i, name in enumerate(self.technologies)}
        self.prefilter = prefilter  # off only to test that the literal pre-filter changes no result
        self._index = _CandidateIndex(self.technologies.values())

    @functools.cached_property
    def js_chains(self) -> tuple[str, ...]:
        """Every property chain the `js` patterns read, sorted: what a browser is asked for."""
        return tuple(
            sorted({key for t in self.technologies.values() for key, _ in t.keyed.get(Signal.JS, ())})
        )

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> FingerprintMatcher:
        """Return the matcher for our data plus the operator's directories (compiled once per process).

        Raises FingerprintDataError naming the file and pattern when a file cannot be used.
        """
        from techscaniq.evidence.fingerprints.loader import load_cached

        return load_cached(tuple(Path(d).resolve() for d in extra_dirs))

    @classmethod
    def from_specs(
        cls,
        specs: Mapping[str, Mapping[str, Any]],
        categories: Mapping[str, str] | None = None,
        prefilter: bool = True,
    ) -> FingerprintMatcher:
        """Build a matcher from in-memory Wappalyzer-format definitions (tests, tools)."""
        cats = categories or {}
        return cls((compile_technology(name, spec, cats) for name, spec in specs.items()), prefilter)

    def analyze(self, pages: Sequence[PageSignals], site: SiteSignals | None = None) -> list[Detection]:
        """Detect technologies across the pages of one site; sorted by confidence, then name."""
        views = [_Page(p) for p in pages]
        hits: dict[str, _Hit] = {}
        if self.prefilter:
            names = self._index.candidates(views, site)
            known = [name for name in names if name in self._position]
            techs = [self.technologies[name] for name in sorted(known, key=self._position.__getitem__)]
        else:
            techs = list(self.technologies.values())
        pending = [t for t in techs if not (t.requires or t.requires_categories)]
        waiting = [t for t in techs if t.requires or t.requires_categories]
        while pending:
            for tech in pending:
                hit = self._match(tech, views, site)
                if hit is not None:
                    hits[tech.name] = hit
            present, cats = self._closure(hits)
            pending = [
                t
                for t in waiting
                if all(r in present for r in t.requires) and all(c in cats for c in t.requires_categories)
            ]
            waiting = [t for t in waiting if t not in pending]
        return self._detections(hits)

    # -- per technology

    def _match(self, tech: Technology, pages: Sequence[_Page], site: SiteSignals | None) -> _Hit | None:
        hit = _Hit()
        for page in pages:
            self._match_page(tech, page, hit)
        if site is not None:
            self._match_site(tech, site, hit)
        return hit if hit.confidence else None

    def _match_page(self, tech: Technology, page: _Page, hit: _Hit) -> None:
        url, prefilter = page.url, self.prefilter
        for signal, patterns in tech.plain.items():
            if signal is Signal.URL:
                texts = page.url_texts
            elif signal is Signal.HTML or signal is Signal.TEXT:
                text, lower = (
                    (page.html, page.html_lower) if signal is Signal.HTML else (page.text, page.text_lower)
                )
                for pattern in patterns:
                    groups = _search(pattern, text, lower, prefilter)
                    if groups is not None:
                        hit.add(url, signal, "", pattern, text, groups)
                continue
            elif signal is Signal.SCRIPT_SRC:
                texts = page.script_srcs
            elif signal is Signal.SCRIPTS:
                texts = page.scripts
            elif signal is Signal.CSS:
                texts = page.css
            elif signal is Signal.XHR:
                texts = page.xhr_texts
            else:
                continue
            for pattern in patterns:
                literals = pattern.literals if prefilter else None
                if literals is not None and not any(lit in texts.joined for lit in literals):
                    continue
                for text, lower in zip(texts.texts, texts.lowers, strict=True):
                    groups = _search(pattern, text, lower, prefilter)
                    if groups is not None:
                        hit.add(url, signal, "", pattern, text, groups)
                        break
        for signal, keyed in tech.keyed.items():
            if signal is Signal.HEADERS:
                source = page.headers
            elif signal is Signal.META:
                source = page.meta
            elif signal is Signal.COOKIES:
                source = {k: [v] for k, v in page.cookies.items()}
            elif signal is Signal.JS:
                source = page.js
            else:
                continue
            for key, pattern in keyed:
                for name, values in _lookup(source, key):
                    for value in values:
                        groups = _search(pattern, value, None, prefilter)
                        if groups is not None:
                            hit.add(url, signal, name, pattern, value, groups)
                            break
        for rule in tech.dom:
            if (
                prefilter
                and rule.literals is not None
                and not any(lit in page.tree_html_lower for lit in rule.literals)
            ):
                continue
            self._match_dom(rule, page, hit)

    def _match_dom(self, rule: DomRule, page: _Page, hit: _Hit) -> None:
        nodes = page.tree.css(rule.selector)
        if not nodes:
            return
        url = page.url
        if rule.exists is not None:
            excerpt = (nodes[0].html or "")[:EXCERPT_CHARS]
            hit.add(url, Signal.DOM, rule.selector, rule.exists, excerpt, [excerpt])
        for node in nodes:
            if rule.text is not None:
                text = node.text(deep=True)[:VALUE_MAX_CHARS]
                groups = _search(rule.text, text, None, self.prefilter)
                if groups is not None:
                    hit.add(url, Signal.DOM, rule.selector, rule.text, text, groups)
            for attr, pattern in rule.attributes:
                value = node.attributes.get(attr)
                if value is None:
                    continue
                groups = _search(pattern, value[:VALUE_MAX_CHARS], None, self.prefilter)
                if groups is not None:
                    hit.add(url, Signal.DOM, f"{rule.selector} [{attr}]", pattern, value, groups)

    def _match_site(self, tech: Technology, site: SiteSignals, hit: _Hit) -> None:
        for key, pattern in tech.keyed.get(Signal.DNS, ()):
            for record in site.dns.get(key, ()) or site.dns.get(key.lower(), ()):
                record = record[:VALUE_MAX_CHARS]
                groups = _search(pattern, record)
                if groups is not None:
                    hit.add(None, Signal.DNS, key, pattern, record, groups)
                    break
        for signal, text in ((Signal.CERT_ISSUER, site.cert_issuer), (Signal.ROBOTS, site.robots)):
            if not text:
                continue
            for pattern in tech.plain.get(signal, ()):
                groups = _search(pattern, text)
                if groups is not None:
                    hit.add(None, signal, "", pattern, text, groups)

    # -- across technologies

    def _closure(self, hits: Mapping[str, _Hit]) -> tuple[dict[str, int], set[str]]:
        """Detected names with confidence after implies, and the categories present."""
        present = {name: hit.total for name, hit in hits.items()}
        queue = list(present)
        while queue:
            tech = self.technologies.get(queue.pop())
            if tech is None:
                continue
            for imp in tech.implies:
                conf = min(present[tech.name], imp.confidence)
                if imp.name in self.technologies and conf > present.get(imp.name, 0):
                    present[imp.name] = conf
                    queue.append(imp.name)
        cats = {c for name in present for c in self.technologies[name].categories}
        return present, cats

    def _detections(self, hits: Mapping[str, _Hit]) -> list[Detection]:
        present, _ = self._closure(hits)
        excluded = {e for name in present for e in self.technologies[name].excludes}
        direct = {name: hit for name, hit in hits.items() if name not in excluded}
        present, _ = self._closure(direct)
        implied_by: dict[str, list[str]] = {}
        for name in present:
            for imp in self.technologies[name].implies:
                implied_by.setdefault(imp.name, []).append(name)
        out = []
        for name, confidence in present.items():
            if name in excluded:
                continue
            tech = self.technologies[name]
            hit = direct.get(name)
            matches = list(hit.matches.values()) if hit else []
            if name not in direct:
                matches = [
                    SignalMatch(None, Signal.IMPLIES, parent, parent) for parent in implied_by.get(name, [])
                ]
            versions = sorted(hit.versions, key=_version_key) if hit else []
            out.append(
                Detection(
                    name=name,
                    slug=tech.slug,
                    version=versions[-1] if versions else None,
                    confidence=max(confidence, hit.total if hit else 0),
                    categories=tech.categories,
                    website=tech.website,
                    saas=tech.saas,
                    oss=tech.oss,
                    pricing=tech.pricing,
                    matches=tuple(matches),
                    aliases=tech.aliases,
                )
            )
        out.sort(key=lambda d: (-d.confidence, d.name.lower()))
        return out


def host_and_path(url: str) -> str:
    """What an `xhr` pattern sees of a request URL: host and path, without scheme, query or fragment."""
    rest = url.split("://", 1)[-1]
    return rest.split("#", 1)[0].split("?", 1)[0][:VALUE_MAX_CHARS]


def _lookup(source: Mapping[str, list[str]], key: str) -> Iterator[tuple[str, list[str]]]:
    # A trailing `*` in a cookie or header name matches by prefix (e.g. `_hjSession_*`).
    if key.endswith("*"):
        prefix = key[:-1]
        yield from ((k, v) for k, v in source.items() if k.startswith(prefix))
    elif key in source:
        yield key, source[key]
