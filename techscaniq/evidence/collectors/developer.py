"""Developer and product evidence (docs/evidence.md §8): API docs, OpenAPI documents, SDKs, code repositories,
webhooks, changelog cadence, integrations directory and the pricing model.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser, LexborNode

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import (
    BaseCollector,
    CollectContext,
    CrawledPage,
    PageClass,
    register,
)
from techscaniq.evidence.collectors.pages import (
    absolute_url,
    attr,
    block_texts,
    clean_text,
    node_text,
    page_links,
    parsed,
)
from techscaniq.evidence.fetch import FetchResult, ResourceKind
from techscaniq.evidence.urls import in_site, url_host, url_origin, url_path

KIB = 1024
MAX_YAML_BYTES = 2 * 1024 * KIB
MAX_SPEC_CANDIDATES = 5
MAX_PROBE_HOSTS = 3
MAX_CHANGELOG_ENTRIES = 1000
MAX_LIST = 50
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
OPENAPI_PROBE_PATHS = (
    "/openapi.json",
    "/openapi.yaml",
    "/swagger.json",
    "/v3/api-docs",
    "/api-docs",
    "/swagger/v1/swagger.json",
)
SPEC_LINK = re.compile(r"(?:openapi|swagger)[^/]*\.(?:json|ya?ml)$|/v3/api-docs$|/api-docs(?:\.json)?$", re.I)
SWAGGER_UI_URL = re.compile(r"""\burl\s*:\s*["']([^"']+\.(?:json|ya?ml))["']""")
DOCS_PLATFORM_HOSTS = (
    ("ReadMe", re.compile(r"\.readme\.io$")),
    ("GitBook", re.compile(r"\.gitbook\.io$")),
    ("Mintlify", re.compile(r"\.mintlify\.(?:app|dev)$")),
    ("Stoplight", re.compile(r"\.stoplight\.io$")),
    ("Postman", re.compile(r"^documenter\.getpostman\.com$")),
)
DOCS_HOST_LABELS = frozenset({"docs", "developer", "developers", "dev", "api", "apidocs", "reference"})
CHANGELOG_PATH = re.compile(r"changelog|release-?notes|whats-?new|what-s-new|/releases?(?:/|$)", re.I)
REGISTRIES = (
    (
        "npm",
        "JavaScript",
        re.compile(r"^(?:www\.)?npmjs\.com$"),
        re.compile(r"^/package/((?:@[^/]+/)?[^/]+)"),
    ),
    ("PyPI", "Python", re.compile(r"^pypi\.org$"), re.compile(r"^/project/([^/]+)")),
    ("RubyGems", "Ruby", re.compile(r"^rubygems\.org$"), re.compile(r"^/gems/([^/]+)")),
    ("NuGet", "C#", re.compile(r"^(?:www\.)?nuget\.org$"), re.compile(r"^/packages/([^/]+)")),
    ("pkg.go.dev", "Go", re.compile(r"^pkg\.go\.dev$"), re.compile(r"^/(.+?)/?$")),
    ("Packagist", "PHP", re.compile(r"^packagist\.org$"), re.compile(r"^/packages/([^/]+/[^/]+)")),
    ("CocoaPods", "Swift", re.compile(r"^cocoapods\.org$"), re.compile(r"^/pods/([^/]+)")),
    ("crates.io", "Rust", re.compile(r"^crates\.io$"), re.compile(r"^/crates/([^/]+)")),
    (
        "Maven Central",
        "Java",
        re.compile(r"^(?:central\.sonatype\.com|search\.maven\.org|mvnrepository\.com)$"),
        re.compile(r"^/(?:artifact/)?([^/]+/[^/]+)"),
    ),
)
REGISTRY_NAMES = {name.lower(): (name, language) for name, language, _, _ in REGISTRIES}
REGISTRY_NAMES.update({"maven": ("Maven Central", "Java"), "go": ("pkg.go.dev", "Go")})
LANGUAGES = (
    "Python",
    "JavaScript",
    "TypeScript",
    "Node.js",
    "Ruby",
    "Go",
    "Java",
    "Kotlin",
    "PHP",
    "C#",
    ".NET",
    "Swift",
    "Rust",
    "Elixir",
)
SDK_REPO_LANGUAGES = {
    "node": "JavaScript",
    "js": "JavaScript",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "python": "Python",
    "py": "Python",
    "ruby": "Ruby",
    "go": "Go",
    "golang": "Go",
    "java": "Java",
    "kotlin": "Kotlin",
    "php": "PHP",
    "dotnet": "C#",
    "csharp": "C#",
    "swift": "Swift",
    "ios": "Swift",
    "android": "Kotlin",
    "rust": "Rust",
}
CODE_HOSTS = {"github.com": "GitHub", "gitlab.com": "GitLab", "bitbucket.org": "Bitbucket"}
RESERVED_CODE_PATHS = frozenset(
    {
        "features",
        "about",
        "pricing",
        "login",
        "join",
        "sponsors",
        "topics",
        "marketplace",
        "explore",
        "site",
        "security",
        "enterprise",
        "contact",
        "collections",
        "trending",
        "apps",
        "settings",
        "orgs",
        "users",
    }
)
BILLING_SCRIPTS = (
    ("Stripe", "js.stripe.com"),
    ("Chargebee", "chargebee.com"),
    ("Recurly", "recurly.com"),
    ("Paddle", "paddle.com"),
    ("Zuora", "zuora.com"),
)
MARKETPLACES = (
    ("Zapier", re.compile(r"(?:^|\.)zapier\.com$")),
    ("Make", re.compile(r"(?:^|\.)make\.com$")),
    ("App Store", re.compile(r"^apps\.apple\.com$")),
    ("Google Play", re.compile(r"^play\.google\.com$")),
    ("Salesforce AppExchange", re.compile(r"^appexchange\.salesforce\.com$")),
    ("Shopify App Store", re.compile(r"^apps\.shopify\.com$")),
)
PRICE = re.compile(r"([$€£])\s?(\d{1,3}(?:,\d{3})*(?:\.\d{1,2})?)")
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
CURRENCY_CODES = re.compile(r"\b(USD|EUR|GBP|CAD|AUD|JPY|CHF|INR|SEK|NOK|DKK|NZD|SGD)\b")
PLAN_SELECTOR = "[data-plan], .plan, .pricing-plan, .pricing-card, .pricing-tier, .price-card, .tier"
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+$")
SIGNATURE_HEADER = re.compile(r"\b((?:[A-Z][A-Za-z0-9]*-)*[A-Z]?[A-Za-z0-9]*-Signature(?:-[A-Za-z0-9]+)*)\b")


def now_utc(value: date | datetime | None) -> datetime:
    """An aware "now": the injected value or the clock."""
    if value is None:
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def parse_spec(result: FetchResult) -> dict[str, Any] | None:
    """An OpenAPI/Swagger document from a fetch (JSON, or YAML under a size cap), else None."""
    if not result.ok or not result.body:
        return None
    body = result.body
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        if len(body) > MAX_YAML_BYTES or body.lstrip()[:1] in {b"<", b""}:
            return None
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            return None
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        return None
    return document


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def spec_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    """Counts and names from an OpenAPI 3.x or Swagger 2.0 document (never calls the API)."""
    info = _mapping(document.get("info"))
    paths = _mapping(document.get("paths"))
    operations: list[Mapping[str, Any]] = []
    methods: dict[str, int] = {}
    for item in paths.values():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method in HTTP_METHODS and isinstance(operation, dict):
                operations.append(operation)
                methods[method] = methods.get(method, 0) + 1
    tags = {str(t.get("name")) for t in document.get("tags") or [] if isinstance(t, dict) and t.get("name")}
    tags |= {str(t) for op in operations for t in op.get("tags") or [] if isinstance(t, str)}
    components = _mapping(document.get("components"))
    schemes = components.get("securitySchemes") or document.get("securityDefinitions") or {}
    servers = [
        str(s.get("url"))[:200] for s in document.get("servers") or [] if isinstance(s, dict) and s.get("url")
    ]
    if not servers and document.get("host"):
        servers = [
            f"{(document.get('schemes') or ['https'])[0]}://{document['host']}{document.get('basePath', '')}"
        ]
    webhooks = _mapping(document.get("webhooks"))
    return {
        "spec_version": str(document.get("openapi") or document.get("swagger")),
        "title": str(info.get("title") or "")[:200] or None,
        "api_version": str(info.get("version") or "")[:60] or None,
        "servers": servers[:MAX_LIST],
        "path_count": len(paths),
        "operation_count": len(operations),
        "operations_by_method": dict(sorted(methods.items())),
        "deprecated_operations": sum(1 for op in operations if op.get("deprecated") is True),
        "security_schemes": sorted(str(k) for k in schemes)[:MAX_LIST] if isinstance(schemes, dict) else [],
        "tags": sorted(tags)[:MAX_LIST],
        "tag_count": len(tags),
        "webhooks": len(webhooks),
    }


def _is_docs_host(host: str, registrable_domain: str) -> bool:
    if in_site(host, registrable_domain) and host.split(".")[0] in DOCS_HOST_LABELS:
        return True
    return any(pattern.search(host) for _, pattern in DOCS_PLATFORM_HOSTS)


def docs_platform(tree: LexborHTMLParser, host: str) -> str | None:
    """The documentation platform a docs page is built with, from its generator, scripts or host."""
    generator = tree.css_first('meta[name="generator" i]')
    text = attr(generator, "content") if generator is not None else ""
    for name in ("Docusaurus", "GitBook", "ReadMe", "Mintlify", "MkDocs", "Sphinx", "VuePress", "Nextra"):
        if name.lower() in text.lower():
            return name
    for name, pattern in DOCS_PLATFORM_HOSTS:
        if pattern.search(host):
            return name
    sources = " ".join(attr(s, "src") for s in tree.css("script[src]")).lower()
    if "redoc" in sources or tree.css_first("redoc") is not None:
        return "Redoc"
    if "swagger-ui" in sources:
        return "Swagger UI"
    return None


SdkLink = tuple[str, str, str, str | None, str]


@lru_cache(maxsize=16_384)  # navigation and footer links repeat on every page
def sdk_links(url: str) -> tuple[SdkLink, ...]:
    """(key, registry, package, language, via) for each package registry entry or SDK repository url names."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    out: list[SdkLink] = []
    for registry, language, host_pattern, path_pattern in REGISTRIES:
        match = host_pattern.match(host) and path_pattern.match(parts.path)
        if match:
            package = match.group(1)
            out.append((f"{registry}:{package}".lower(), registry, package, language, "link"))
    if host == "github.com":
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) == 2 and re.search(r"(?:^|[-_])sdk(?:$|[-_])", segments[1], re.IGNORECASE):
            words = re.split(r"[-_]", segments[1].lower())
            repo_language = next((SDK_REPO_LANGUAGES[w] for w in words if w in SDK_REPO_LANGUAGES), None)
            repository = f"{segments[0]}/{segments[1]}"
            out.append((f"github:{repository}".lower(), "GitHub", repository, repo_language, "repository"))
    return tuple(out)


@lru_cache(maxsize=4096)
def _marketplaces_of(host: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in MARKETPLACES if pattern.search(host))


@register("developer")
class DeveloperCollector(BaseCollector):
    """API docs, OpenAPI, SDKs, code repositories, webhooks, changelog, integrations and pricing."""

    name = "developer"

    def __init__(self, now: date | datetime | None = None) -> None:
        self._now = now
        self._docs: dict[str, Any] = {"pages": 0, "hosts": [], "platforms": [], "auth": [], "source": None}
        self._spec_candidates: list[dict[str, str]] = []
        self._probe_hosts: list[str] = []
        self._repos: dict[str, dict[str, Any]] = {}
        self._changelog: dict[str, str] = {}  # entry key -> ISO date
        self._changelog_source: str | None = None
        self._integrations: dict[str, Any] = {}

    # -- pages ----------------------------------------------------------------------------------------------

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """SDK, webhooks and pricing items of this page; docs, specs, repos, changelog kept for finish()."""
        tree = parsed(page)
        if tree is None or page.status is None or page.status >= 400:
            return []
        domain = context.registrable_domain
        own = in_site(page.host, domain)
        docs_host = _is_docs_host(page.host, domain)
        if not (own or docs_host):
            return []
        links = page_links(tree, page.url)
        items: list[EvidenceDraft] = []
        if page.page_class == PageClass.DOCS or docs_host:
            self._note_docs(page, tree, docs_host)
            webhooks = self._webhooks(page, tree, context)
            if webhooks is not None:
                items.append(webhooks)
        self._note_specs(page, tree, links, domain)
        items.extend(self._sdks(page, tree, links, context))
        self._note_repos(page, links)
        if CHANGELOG_PATH.search(url_path(page.url)):
            self._note_changelog(page, tree)
        if page.page_class == PageClass.INTEGRATIONS:
            self._note_integrations(page, tree, links)
        self._note_marketplaces(page, links)
        if page.page_class == PageClass.PRICING:
            pricing = self._pricing(page, tree, context)
            if pricing is not None:
                items.append(pricing)
        return items

    def _note_docs(self, page: CrawledPage, tree: LexborHTMLParser, docs_host: bool) -> None:
        docs = self._docs
        docs["pages"] += 1
        docs["source"] = docs["source"] or page.url
        if page.host not in docs["hosts"] and len(docs["hosts"]) < MAX_LIST:
            docs["hosts"].append(page.host)
        platform = docs_platform(tree, page.host)
        if platform and platform not in docs["platforms"]:
            docs["platforms"].append(platform)
        path = url_path(page.url)
        if "reference" in path and not docs.get("reference_url"):
            docs["reference_url"] = page.url
        text = node_text(tree.body) if tree.body is not None else ""
        for method, pattern in (
            ("bearer token", r"\bbearer\b"),
            ("OAuth 2.0", r"\bOAuth ?2"),
            ("API key", r"\bAPI keys?\b"),
            ("basic auth", r"\bbasic auth"),
        ):
            if method not in docs["auth"] and re.search(pattern, text, re.IGNORECASE):
                docs["auth"].append(method)
        limit = re.search(r"(\d[\d,]*)\s+requests? per (second|minute|hour|day)", text, re.IGNORECASE)
        if limit and not docs.get("rate_limit"):
            docs["rate_limit"] = f"{limit.group(1)} requests per {limit.group(2).lower()}"
        if (
            docs_host
            and len(self._probe_hosts) < MAX_PROBE_HOSTS
            and url_origin(page.url) not in self._probe_hosts
        ):
            self._probe_hosts.append(url_origin(page.url))

    def _note_specs(
        self, page: CrawledPage, tree: LexborHTMLParser, links: Sequence[tuple[str, str]], domain: str
    ) -> None:
        found: list[tuple[str, str]] = [(url, "link") for url, _ in links if SPEC_LINK.search(url_path(url))]
        for node in tree.css("[spec-url]"):
            url = absolute_url(page.url, attr(node, "spec-url"))
            if url:
                found.append((url, "redoc"))
        for node in tree.css("script:not([src])"):
            script = node.text()
            if "SwaggerUIBundle" in script or "SwaggerUI" in script:
                for match in SWAGGER_UI_URL.finditer(script[:20000]):
                    url = absolute_url(page.url, match.group(1))
                    if url:
                        found.append((url, "swagger-ui"))
        for url, via in found:
            host = url_host(url)
            if not (in_site(host, domain) or _is_docs_host(host, domain)):
                continue
            if all(c["url"] != url for c in self._spec_candidates) and len(self._spec_candidates) < MAX_LIST:
                self._spec_candidates.append({"url": url, "via": via, "found_on": page.url})

    def _sdks(
        self,
        page: CrawledPage,
        tree: LexborHTMLParser,
        links: Sequence[tuple[str, str]],
        context: CollectContext,
    ) -> list[EvidenceDraft]:
        found: dict[str, dict[str, Any]] = {}
        for url, _ in links:
            for key, registry, package, language, via in sdk_links(url):
                found[key] = {
                    "registry": registry,
                    "package": package,
                    "language": language,
                    "url": url,
                    "via": via,
                }
        title_node = tree.css_first("title")
        title = node_text(title_node) if title_node is not None else ""
        if re.search(r"\bsdks?\b|client librar", url_path(page.url) + " " + title, re.IGNORECASE):
            for node, text in block_texts(tree):
                if node.tag not in {"li", "td", "p"}:
                    continue
                found.update(self._sdk_from_text(node, text))
        return [
            context.draft(
                self.name,
                EvidenceType.SDK,
                EvidenceCategory.DEVELOPER,
                key=key,
                title=f"{sdk['language'] or 'SDK'} SDK {sdk['package']}"[:300],
                summary=f"The company publishes the {sdk['language'] or ''} SDK {sdk['package']} on {sdk['registry']}.".replace(
                    "the  SDK", "the SDK"
                ),
                source_url=page.url,
                data=sdk,
                confidence=0.9 if sdk["via"] == "link" else 0.8,
            )
            for key, sdk in found.items()
        ]

    @staticmethod
    def _sdk_from_text(node: LexborNode, text: str) -> dict[str, dict[str, Any]]:
        code = node.css_first("code")
        if code is None:
            return {}
        package = node_text(code)
        lowered = text.lower()
        registry = next(
            (REGISTRY_NAMES[n] for n in REGISTRY_NAMES if re.search(rf"\b{re.escape(n)}\b", lowered)), None
        )
        if registry is None or not package:
            return {}
        language = next(
            (lang for lang in LANGUAGES if re.search(rf"(?<!\w){re.escape(lang)}(?!\w)", text)), None
        )
        name, default_language = registry
        return {
            f"{name}:{package}".lower(): {
                "registry": name,
                "package": package[:200],
                "language": language or default_language,
                "url": None,
                "via": "text",
            }
        }

    def _note_repos(self, page: CrawledPage, links: Sequence[tuple[str, str]]) -> None:
        for url, _ in links:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().removeprefix("www.")
            if host not in CODE_HOSTS:
                continue
            segments = [s for s in parts.path.split("/") if s]
            if not segments or segments[0].lower() in RESERVED_CODE_PATHS:
                continue
            org = segments[0].lower()
            key = f"{host}/{org}"
            entry = self._repos.get(key)
            if entry is None:
                if len(self._repos) >= MAX_LIST:
                    continue
                entry = {
                    "platform": CODE_HOSTS[host],
                    "org": org,
                    "url": f"https://{key}",
                    "repos": [],
                    "source": page.url,
                }
                self._repos[key] = entry
            if len(segments) >= 2:
                repo = f"{org}/{segments[1].lower()}"
                if repo not in entry["repos"] and len(entry["repos"]) < MAX_LIST:
                    entry["repos"].append(repo)

    def _webhooks(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> EvidenceDraft | None:
        title_node = tree.css_first("title")
        title = node_text(title_node) if title_node is not None else ""
        if not re.search(r"webhook", url_path(page.url) + " " + title, re.IGNORECASE):
            return None
        text = node_text(tree.body, separator="") if tree.body is not None else ""
        events = sorted({node_text(c) for c in tree.css("code") if EVENT_NAME.match(node_text(c))})
        stated = re.search(r"(\d+)\s+(?:event types|types of events|events)\b", text)
        header = next(
            (node_text(c) for c in tree.css("code") if SIGNATURE_HEADER.fullmatch(node_text(c))), None
        ) or (m.group(1) if (m := SIGNATURE_HEADER.search(text)) else None)
        algorithm = re.search(r"HMAC[- ]?SHA-?(1|256|512)", text, re.IGNORECASE)
        retries = re.search(r"retried up to (\d+) times|up to (\d+) retries|(\d+) retry attempts", text, re.I)
        event_count = max(len(events), int(stated.group(1)) if stated else 0)
        data = {
            "url": page.url,
            "event_count": event_count,
            "events": events[:MAX_LIST],
            "signature_header": header,
            "signature_algorithm": f"HMAC-SHA{algorithm.group(1)}" if algorithm else None,
            "retries": int(next(g for g in retries.groups() if g)) if retries else None,
        }
        summary = f"Webhooks documentation lists {event_count} event types"
        if header:
            summary += f", signed in the {header} header"
        return context.draft(
            self.name,
            EvidenceType.WEBHOOKS,
            EvidenceCategory.DEVELOPER,
            key="webhooks",
            title=f"Webhooks: {event_count} event types",
            summary=summary + ".",
            source_url=page.url,
            data=data,
            confidence=0.85,
        )

    def _note_changelog(self, page: CrawledPage, tree: LexborHTMLParser) -> None:
        self._changelog_source = self._changelog_source or page.url
        found = False
        for node in tree.css("time[datetime]"):
            when = attr(node, "datetime")[:10]
            try:
                day = date.fromisoformat(when)
            except ValueError:
                continue
            entry_url = self._entry_url(node, page)
            key = entry_url or f"{page.url}#{day.isoformat()}"
            if key not in self._changelog and len(self._changelog) < MAX_CHANGELOG_ENTRIES:
                self._changelog[key] = day.isoformat()
            found = True
        if not found and page.sitemap_lastmod and len(self._changelog) < MAX_CHANGELOG_ENTRIES:
            self._changelog.setdefault(page.url, page.sitemap_lastmod[:10])

    @staticmethod
    def _entry_url(node: LexborNode, page: CrawledPage) -> str | None:
        """The entry a date belongs to: a link in its list item, or the page itself for an entry page."""
        parent = node.parent
        while parent is not None and parent.tag not in {"li", "article", "tr", "section", "body"}:
            parent = parent.parent
        if parent is not None and parent.tag in {"li", "tr"}:
            link = parent.css_first("a[href]")
            if link is not None:
                return absolute_url(page.url, attr(link, "href"))
        if parent is not None and parent.tag == "article":
            return page.url
        return None

    def _note_integrations(
        self, page: CrawledPage, tree: LexborHTMLParser, links: Sequence[tuple[str, str]]
    ) -> None:
        state = self._integrations
        path = url_path(page.url).rstrip("/") or "/"
        children = {
            url
            for url, _ in links
            if url_path(url).startswith(path + "/") and url_path(url).rstrip("/") != path
        }
        if len(children) >= len(state.get("listed", [])) and len(children) >= 2:
            state["directory_url"] = page.url
            state["listed"] = sorted(children)[:500]
            main = tree.css_first("main") or tree.body
            headings = [node_text(h) for h in main.css("h2")] if main is not None else []
            state["directory_categories"] = headings[:MAX_LIST]
            stated = re.search(r"(\d+)\s+integrations", node_text(main) if main is not None else "")
            state["stated_count"] = int(stated.group(1)) if stated else None
        category = next(
            (m for _, block in block_texts(tree) if (m := re.match(r"Category:\s*([^.|]{2,60})$", block))),
            None,
        )
        if category:
            categories = state.setdefault("page_categories", [])
            if clean_text(category.group(1)) not in categories and len(categories) < MAX_LIST:
                categories.append(clean_text(category.group(1)))
        state["detail_pages"] = state.get("detail_pages", 0) + (1 if path.count("/") >= 2 else 0)

    def _note_marketplaces(self, page: CrawledPage, links: Sequence[tuple[str, str]]) -> None:
        for url, _ in links:
            for name in _marketplaces_of(url_host(url)):
                listed = self._integrations.setdefault("marketplaces", {})
                listed.setdefault(name, url)

    def _pricing(
        self, page: CrawledPage, tree: LexborHTMLParser, context: CollectContext
    ) -> EvidenceDraft | None:
        main = tree.css_first("main") or tree.body
        if main is None:
            return None
        text = node_text(main)
        plans = _plans(main)
        prices = [float(p.replace(",", "")) for _, p in PRICE.findall(text)]
        if not plans and not prices:
            return None
        codes = sorted(
            set(CURRENCY_CODES.findall(text)) | {CURRENCY_SYMBOLS[s] for s, _ in PRICE.findall(text)}
        )
        trial = re.search(r"(\d+)[- ]day (?:free )?trial", text, re.IGNORECASE)
        contact_sales = bool(
            re.search(r"contact sales|talk to (?:sales|us)|contact us|book a demo", text, re.I)
        )
        enterprise = any(p["custom"] or "enterprise" in p["name"].lower() for p in plans)
        annual = bool(re.search(r"billed annually|annual(?:ly)? billing|per year|/yr", text, re.IGNORECASE))
        annual_discount = bool(
            re.search(r"save[^.]*\d+\s?%[^.]*annual|annual[^.]*save", text, re.IGNORECASE)
        ) or any(
            p["monthly"] is not None and p["annual"] is not None and p["monthly"] > p["annual"] for p in plans
        )
        per_seat = bool(re.search(r"per (?:seat|user|member)|/ ?(?:seat|user)", text, re.IGNORECASE))
        usage = bool(
            re.search(r"usage-based|pay as you go|per (?:transaction|api call|request|invoice)", text, re.I)
        )
        free = any(p["free"] for p in plans) or bool(re.search(r"\bfree (?:plan|tier|forever)\b", text, re.I))
        billing = sorted(
            {
                name
                for name, marker in BILLING_SCRIPTS
                for s in tree.css("script[src]")
                if marker in attr(s, "src")
            }
        )
        model = "per-seat" if per_seat else "usage-based" if usage else "flat" if prices else "contact sales"
        data = {
            "url": page.url,
            "plan_count": len(plans),
            "plans": plans,
            "free_tier": free,
            "trial_days": int(trial.group(1)) if trial else None,
            "free_trial": bool(trial) or bool(re.search(r"free trial", text, re.IGNORECASE)),
            "model": model,
            "per_seat": per_seat,
            "usage_based": usage,
            "contact_sales": contact_sales,
            "enterprise_tier": enterprise,
            "annual_billing": annual,
            "annual_discount": annual_discount,
            "currencies": codes,
            "lowest_price": min(prices) if prices else None,
            "highest_listed_price": max(prices) if prices else None,
            "billing_technology": billing,
        }
        parts = [f"Pricing page lists {len(plans)} plans"]
        if free:
            parts.append("with a free tier")
        if trial:
            parts.append(f"a {trial.group(1)}-day trial")
        summary = (
            ", ".join(parts) + f"; {model} pricing" + (", enterprise via sales" if enterprise else "") + "."
        )
        return context.draft(
            self.name,
            EvidenceType.PRICING,
            EvidenceCategory.DEVELOPER,
            key="pricing",
            title=f"Pricing: {len(plans)} plans, {model}",
            summary=summary,
            source_url=page.url,
            data=data,
            confidence=0.85,
        )

    # -- site level -----------------------------------------------------------------------------------------

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """API docs, OpenAPI documents (fetched), code repositories, changelog cadence and integrations."""
        items: list[EvidenceDraft] = []
        if self._docs["pages"]:
            items.append(self._api_docs_item(context))
        items.extend(self._openapi_items(context))
        for key, repo in self._repos.items():
            items.append(
                context.draft(
                    self.name,
                    EvidenceType.CODE_REPOSITORY,
                    EvidenceCategory.DEVELOPER,
                    key=key,
                    title=f"{repo['platform']} organisation {repo['org']}",
                    summary=f"The company links its {repo['platform']} organisation {repo['url']}.",
                    source_url=repo["source"],
                    data=repo,
                    confidence=0.85,
                )
            )
        if self._changelog:
            items.append(self._changelog_item(context))
        if self._integrations.get("directory_url") or self._integrations.get("marketplaces"):
            items.append(self._integrations_item(context))
        return items

    def _api_docs_item(self, context: CollectContext) -> EvidenceDraft:
        docs = self._docs
        platform = docs["platforms"][0] if docs["platforms"] else None
        summary = f"Developer documentation spans {docs['pages']} pages on {', '.join(docs['hosts'])}"
        if platform:
            summary += f", built with {platform}"
        return context.draft(
            self.name,
            EvidenceType.API_DOCS,
            EvidenceCategory.DEVELOPER,
            key="api_docs",
            title="API documentation",
            summary=summary + ".",
            source_url=docs["source"] or context.root_url,
            data={
                "pages": docs["pages"],
                "hosts": docs["hosts"],
                "platforms": docs["platforms"],
                "reference_url": docs.get("reference_url"),
                "auth_methods": docs["auth"],
                "rate_limit": docs.get("rate_limit"),
            },
            confidence=0.85,
        )

    def _openapi_items(self, context: CollectContext) -> list[EvidenceDraft]:
        items: list[EvidenceDraft] = []
        seen: set[str] = set()
        attempts = [(c["url"], c["via"], c["found_on"]) for c in self._spec_candidates[:MAX_SPEC_CANDIDATES]]
        fetched = {url for url, _, _ in attempts}
        for url, via, found_on in attempts:
            item = self._fetch_spec(url, via, found_on, context, seen)
            if item is not None:
                items.append(item)
        if items:
            return items
        for host_origin in self._probe_hosts:
            for path in OPENAPI_PROBE_PATHS:
                url = host_origin + path
                if url in fetched:
                    continue
                item = self._fetch_spec(url, "probe", host_origin + "/", context, seen)
                if item is not None:
                    return [item]
        return items

    def _fetch_spec(
        self, url: str, via: str, found_on: str, context: CollectContext, seen: set[str]
    ) -> EvidenceDraft | None:
        result = context.fetcher.fetch(url, ResourceKind.JSON)
        document = parse_spec(result)
        if document is None:
            return None
        facts = spec_facts(document)
        identity = f"{facts['title']}|{facts['api_version']}|{facts['path_count']}"
        if identity in seen:
            return None
        seen.add(identity)
        facts.update(url=result.final_url, found_via=via, found_on=found_on)
        return context.draft(
            self.name,
            EvidenceType.OPENAPI,
            EvidenceCategory.DEVELOPER,
            key=urljoin(result.final_url, urlsplit(result.final_url).path),
            title=f"OpenAPI {facts['spec_version']}: {facts['title'] or 'API'}"[:300],
            summary=(
                f"The OpenAPI {facts['spec_version']} document describes {facts['path_count']} paths and "
                f"{facts['operation_count']} operations."
            ),
            source_url=result.final_url,
            data=facts,
            confidence=0.95,
        )

    def _changelog_item(self, context: CollectContext) -> EvidenceDraft:
        now = now_utc(self._now).date()
        dates = sorted({date.fromisoformat(d) for d in self._changelog.values()}, reverse=True)
        entries = sorted(self._changelog.values(), reverse=True)
        in_90 = sum(1 for d in entries if now - date.fromisoformat(d) <= timedelta(days=90))
        in_365 = sum(1 for d in entries if now - date.fromisoformat(d) <= timedelta(days=365))
        gaps = [(a - b).days for a, b in itertools.pairwise(dates)]
        median_gap = statistics.median(gaps) if gaps else None
        latest = dates[0].isoformat() if dates else None
        summary = (
            f"The changelog has {len(entries)} dated entries, {in_90} in the last 90 days; latest {latest}"
        )
        if median_gap is not None:
            summary += f", median gap {median_gap:g} days"
        return context.draft(
            self.name,
            EvidenceType.CHANGELOG,
            EvidenceCategory.DEVELOPER,
            key="changelog",
            title=f"Changelog: {in_90} entries in 90 days",
            summary=summary + ".",
            source_url=self._changelog_source or context.root_url,
            data={
                "url": self._changelog_source,
                "entries": len(entries),
                "dates": entries[:MAX_CHANGELOG_ENTRIES],
                "entries_last_90_days": in_90,
                "entries_last_365_days": in_365,
                "median_gap_days": median_gap,
                "latest": latest,
                "as_of": now.isoformat(),
            },
            confidence=0.85,
        )

    def _integrations_item(self, context: CollectContext) -> EvidenceDraft:
        state = self._integrations
        listed = len(state.get("listed", []))
        count = max(listed, state.get("stated_count") or 0)
        categories = sorted(
            set(state.get("directory_categories", [])) | set(state.get("page_categories", []))
        )
        marketplaces = dict(state.get("marketplaces", {}))
        summary = f"The integrations directory lists {count} integrations in {len(categories)} categories"
        if marketplaces:
            summary += f"; listed on {', '.join(marketplaces)}"
        return context.draft(
            self.name,
            EvidenceType.INTEGRATIONS,
            EvidenceCategory.DEVELOPER,
            key="integrations",
            title=f"{count} integrations",
            summary=summary + ".",
            source_url=state.get("directory_url") or next(iter(marketplaces.values()), context.root_url),
            data={
                "url": state.get("directory_url"),
                "count": count,
                "listed_links": listed,
                "stated_count": state.get("stated_count"),
                "categories": categories,
                "marketplaces": marketplaces,
            },
            confidence=0.85,
        )

    # -- checkpoints ----------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Docs facts, spec candidates, probe hosts, repositories, changelog dates and integrations."""
        return {
            "docs": self._docs,
            "spec_candidates": self._spec_candidates,
            "probe_hosts": self._probe_hosts,
            "repos": self._repos,
            "changelog": self._changelog,
            "changelog_source": self._changelog_source,
            "integrations": self._integrations,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed facts."""
        docs = dict(state.get("docs") or {})
        self._docs = {"pages": 0, "hosts": [], "platforms": [], "auth": [], "source": None, **docs}
        self._spec_candidates = list(state.get("spec_candidates") or [])
        self._probe_hosts = list(state.get("probe_hosts") or [])
        self._repos = dict(state.get("repos") or {})
        self._changelog = dict(state.get("changelog") or {})
        self._changelog_source = state.get("changelog_source")
        self._integrations = dict(state.get("integrations") or {})


def _plans(main: LexborNode) -> list[dict[str, Any]]:
    # A selector group can match one node twice; keep each node once, in document order.
    cards = list({card.mem_id: card for card in main.css(PLAN_SELECTOR)}.values())
    ids = {card.mem_id for card in cards}
    plans: list[dict[str, Any]] = []
    for card in cards:
        parent, nested = card.parent, False
        while parent is not None:
            if parent.mem_id in ids:
                nested = True
                break
            parent = parent.parent
        heading = card.css_first("h2, h3, h4")
        if nested or heading is None:
            continue
        text = node_text(card)
        amounts = [float(p.replace(",", "")) for _, p in PRICE.findall(text)]
        annual = re.search(r"[$€£]\s?(\d[\d,.]*)[^$€£]*?billed annually", text, re.IGNORECASE)
        monthly = re.search(r"[$€£]\s?(\d[\d,.]*)[^$€£]*?billed monthly", text, re.IGNORECASE)
        custom = not amounts and bool(re.search(r"custom|contact|talk to", text, re.IGNORECASE))
        plans.append(
            {
                "name": node_text(heading)[:100],
                "prices": amounts[:6],
                "annual": float(annual.group(1).replace(",", "")) if annual else None,
                "monthly": float(monthly.group(1).replace(",", "")) if monthly else None,
                "free": (bool(amounts) and min(amounts) == 0)
                or bool(re.search(r"\bfree\b", node_text(heading), re.I)),
                "custom": custom,
            }
        )
        if len(plans) >= MAX_LIST:
            break
    return plans
