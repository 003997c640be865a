"""Site basics: the home page and robots.txt, fetched through the guarded client and turned into evidence."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from techscaniq.config import Settings
from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, Scan
from techscaniq.errors import FetchError, FetchRefused
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher, ResourceKind
from techscaniq.progress import ProgressReporter
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

COLLECTOR = "site_basics"
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
    "permissions-policy",
)
DISCLOSURE_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-generator")
REFUSAL_PREFIXES = ("ssrf_", "invalid_url")


def _draft(
    type_: EvidenceType,
    category: EvidenceCategory,
    title: str,
    summary: str,
    data: dict[str, object],
    source_url: str,
    key: str,
    confidence: float = 1.0,
) -> EvidenceDraft:
    return EvidenceDraft(
        type=type_,
        category=category,
        title=title,
        summary=summary,
        data=dict(data),
        source_url=source_url,
        collector=COLLECTOR,
        confidence=confidence,
        dedup_key=key,
    )


def homepage_evidence(result: FetchResult) -> list[EvidenceDraft]:
    """Evidence from the home page response: status, headers, title and links."""
    url = result.final_url or result.requested_url
    drafts = [
        _draft(
            EvidenceType.HTTP_RESPONSE,
            EvidenceCategory.PAGES,
            f"Home page answered HTTP {result.status}",
            f"{result.requested_url} answered {result.status} from {url} after {len(result.redirects)} redirect(s) "
            f"in {result.timings.get('total_ms', 0):.0f} ms.",
            {
                "status": result.status,
                "final_url": url,
                "redirects": [{"url": hop.url, "status": hop.status} for hop in result.redirects],
                "content_type": result.content_type,
                "timings_ms": result.timings,
                "decoded_bytes": result.decoded_bytes,
            },
            url,
            "home",
        )
    ]
    for name in SECURITY_HEADERS:
        value = result.header(name)
        present = value is not None
        drafts.append(
            _draft(
                EvidenceType.SECURITY_HEADER,
                EvidenceCategory.SECURITY,
                f"{name} {'present' if present else 'missing'} on the home page",
                f"{name}: {value}" if present else f"The home page sends no {name} header.",
                {"header": name, "present": present, "value": value},
                url,
                name,
            )
        )
    for name in DISCLOSURE_HEADERS:
        value = result.header(name)
        if value:
            drafts.append(
                _draft(
                    EvidenceType.SERVER_DISCLOSURE,
                    EvidenceCategory.TECHNOLOGY,
                    f"{name} header discloses '{value[:80]}'",
                    f"The home page response carries {name}: {value}.",
                    {"header": name, "value": value},
                    url,
                    name,
                    confidence=0.9,
                )
            )
    if result.body and (result.content_type or "").startswith(("text/html", "application/xhtml")):
        drafts.extend(_page_evidence(url, result.text))
    return drafts


def _page_evidence(url: str, html: str) -> list[EvidenceDraft]:
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else ""
    description_node = tree.css_first('meta[name="description"]')
    description = (description_node.attributes.get("content") or "") if description_node else ""
    html_node = tree.css_first("html")
    language = (html_node.attributes.get("lang") or "") if html_node else ""
    body = tree.body
    words = len(body.text(separator=" ").split()) if body else 0
    host = urlsplit(url).hostname or ""
    internal: set[str] = set()
    external: set[str] = set()
    for anchor in tree.css("a[href]"):
        href = (anchor.attributes.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        absolute = urljoin(url, href).split("#", 1)[0]
        target_host = urlsplit(absolute).hostname or ""
        (internal if target_host == host or target_host.endswith("." + host) else external).add(absolute)
    return [
        _draft(
            EvidenceType.PAGE,
            EvidenceCategory.PAGES,
            f"Home page: {title[:120] or '(no title)'}",
            f"Title '{title[:200]}', {words} words, language '{language or 'not declared'}'.",
            {"title": title, "description": description, "language": language, "word_count": words},
            url,
            "home",
        ),
        _draft(
            EvidenceType.LINK_SUMMARY,
            EvidenceCategory.PAGES,
            f"Home page links to {len(internal)} internal and {len(external)} external pages",
            "Links found in the home page markup.",
            {"internal": sorted(internal)[:200], "external": sorted(external)[:200]},
            url,
            "home",
        ),
    ]


def robots_evidence(result: FetchResult) -> list[EvidenceDraft]:
    """Evidence from robots.txt: present or not, sitemaps and disallow rules."""
    url = result.final_url or result.requested_url
    if result.status != 200 or not result.body:
        return [
            _draft(
                EvidenceType.ROBOTS_TXT,
                EvidenceCategory.PAGES,
                "No robots.txt",
                f"{url} answered {result.status or result.error_code}.",
                {"present": False, "status": result.status, "error_code": result.error_code},
                url,
                "robots",
            )
        ]
    lines = [line.split("#", 1)[0].strip() for line in result.text.splitlines()]
    sitemaps = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]
    disallows = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("disallow:")]
    return [
        _draft(
            EvidenceType.ROBOTS_TXT,
            EvidenceCategory.PAGES,
            f"robots.txt lists {len(sitemaps)} sitemap(s) and {len([d for d in disallows if d])} disallow rule(s)",
            "robots.txt was fetched and read.",
            {"present": True, "sitemaps": sitemaps, "disallow": [d for d in disallows if d]},
            url,
            "robots",
        )
    ]


def collect_site_basics(settings: Settings, scan: Scan, reporter: ProgressReporter) -> None:
    """Fetch the home page and robots.txt and store their evidence; refusals and outages fail the step."""
    with GuardedFetcher(settings) as fetcher:
        reporter.update(5, phase="fetching home page", force=True)
        home = fetcher.fetch(scan.website_url, ResourceKind.HTML)
        if home.error_code and home.error_code.startswith(REFUSAL_PREFIXES):
            raise FetchRefused(home.error_message or home.error_code, code=home.error_code)
        if home.status is None:
            raise FetchError(
                f"{scan.website_url} could not be fetched: {home.error_message or home.error_code}",
                code=home.error_code or "fetch_failed",
            )
        _store(settings, scan.id, homepage_evidence(home), reporter)
        reporter.update(50, phase="reading robots.txt")
        reporter.checkpoint()
        base = home.final_url or scan.website_url
        robots = fetcher.fetch(urljoin(base, "/robots.txt"), ResourceKind.ROBOTS)
        _store(settings, scan.id, robots_evidence(robots), reporter)
        reporter.update(90, phase="stored")


def _store(settings: Settings, scan_id: str, drafts: list[EvidenceDraft], reporter: ProgressReporter) -> None:
    with session_scope(settings) as session:
        stored = repo.add_evidence(session, scan_id, drafts)
        total = repo.count_evidence(session, scan_id)
    reporter.evidence_added(stored, total)
