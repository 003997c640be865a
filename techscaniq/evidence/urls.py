"""URL helpers in one place: canonical URLs, hosts, origins, registrable domains and the crawl scope.

Every module that needs a URL's host, origin or site uses these, so the crawl scope, the collectors and the
Observatory's same-site test agree (docs/evidence.md §2).
"""

from __future__ import annotations

import functools
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url

DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = frozenset(DEFAULT_PORTS)

# Query parameters that only say where a visitor came from; two URLs that differ only in them are one page.
TRACKING_PARAMETERS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "fbclid",
        "msclkid",
        "twclid",
        "li_fat_id",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "_ga",
        "_gl",
        "igshid",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "ref",
        "ref_src",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")

# Leftmost labels of hosts that carry due-diligence evidence when a company page links to them.
EVIDENCE_HOST_LABELS = frozenset(
    {"status", "trust", "security", "docs", "developer", "developers", "jobs", "careers", "boards"}
)
# Hosted services, matched as the host or any subdomain of it (docs/evidence.md §2 and §9).
ATS_HOST_SUFFIXES = (
    "boards.greenhouse.io",
    "job-boards.greenhouse.io",
    "jobs.lever.co",
    "jobs.eu.lever.co",
    "jobs.ashbyhq.com",
    "apply.workable.com",
    "jobs.smartrecruiters.com",
    "careers.smartrecruiters.com",
    "myworkdayjobs.com",
    "bamboohr.com",
    "recruitee.com",
    "teamtailor.com",
    "jobs.personio.de",
    "jobs.personio.com",
    "applytojob.com",
    "jobs.jobvite.com",
    "icims.com",
)
STATUS_HOST_SUFFIXES = ("statuspage.io", "instatus.com", "betteruptime.com", "status.betterstack.com")
TRUST_HOST_SUFFIXES = ("safebase.io", "trust.vanta.com", "trust.drata.com", "whistic.com", "conveyor.com")
DOCS_HOST_SUFFIXES = ("readme.io", "gitbook.io", "mintlify.app", "stoplight.io", "documenter.getpostman.com")
EVIDENCE_HOST_SUFFIXES = ATS_HOST_SUFFIXES + STATUS_HOST_SUFFIXES + TRUST_HOST_SUFFIXES + DOCS_HOST_SUFFIXES
GITHUB_HOST = "github.com"
# GitHub paths that are not organisations.
GITHUB_RESERVED = frozenset(
    {"about", "features", "pricing", "login", "join", "marketplace", "sponsors", "topics", "orgs", "settings"}
)

# Private suffixes too, so one customer of a hosting platform (acme.github.io) is not scoped to all of them.
_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# A path of characters canonicalisation leaves alone (no percent escapes to normalise, nothing to encode).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@]*")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of an http(s) URL (resolved against base), or None when it is not a web URL."""
    try:
        absolute = join_url(base, url.strip()) if base else url.strip()
    except ValueError:
        return None
    return _canonical_absolute(absolute)


def join_url(base: str, href: str) -> str:
    """urljoin(base, href), remembered for hrefs that do not depend on the base's path (raises ValueError)."""
    # Navigation and footer links repeat on every page. An absolute href resolves the same against any base
    # of the same scheme, a root-relative one against any base of the same origin: key the cache by those.
    scheme_end = base.find("://")
    if scheme_end > 0 and "\\" not in href:
        if href.startswith(("http://", "https://")) and not href.startswith("/", href.find("//") + 2):
            return _join_cached(base[: scheme_end + 3], href)
        if href.startswith("/") and not href.startswith("//"):
            path_start = base.find("/", scheme_end + 3)
            origin = base[:path_start]
            if path_start > 0 and "?" not in origin and "#" not in origin:
                return _join_cached(origin + "/", href)
    return urljoin(base, href)


@functools.lru_cache(maxsize=16384)
def _join_cached(base: str, href: str) -> str:
    return urljoin(base, href)


@functools.lru_cache(maxsize=16384)
def _canonical_absolute(absolute: str) -> str | None:
    # Navigation and footer links repeat on every page: each distinct URL is canonicalised once.
    try:
        parts = urlsplit(absolute)
        scheme = parts.scheme.lower()
        if scheme not in WEB_SCHEMES or not parts.hostname:
            return None
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    path = parts.path or "/"
    rebuilt = urlunsplit((scheme, netloc, path, query, ""))
    if not query and host.isascii() and _PLAIN_PATH.fullmatch(path) and not _DOT_SEGMENT.search(path):
        return rebuilt  # already canonical: w3lib would return it unchanged, at twenty times the cost
    canonical: str = canonicalize_url(rebuilt, keep_fragments=False)
    return canonical


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


@lru_cache(maxsize=16_384)
def url_host(url: str) -> str:
    """The lower-case host of a URL without brackets, port or trailing dot ("" when there is none)."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def url_path(url: str) -> str:
    """The path of a URL, lower-cased, "/" when empty."""
    try:
        return (urlsplit(url).path or "/").lower()
    except ValueError:
        return "/"


def url_origin(url: str) -> str:
    """scheme://host[:port] of a URL as written (the key of per-origin state such as robots.txt)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The registrable domain of a host from the bundled suffix list (private suffixes included).

    A name under a suffix the list does not know (`.test`) gives its last two labels; an IP address or a
    single label gives itself. The result is lower-case, without brackets or a trailing dot.
    """
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host or ":" in host or _IPV4.match(host):
        return host
    extracted = _extract(host)
    if extracted.suffix and extracted.domain:
        return f"{extracted.domain}.{extracted.suffix}"
    return ".".join(host.split(".")[-2:])


def in_site(host: str, domain: str) -> bool:
    """True when the host is the (registrable) domain or one of its subdomains."""
    host = host.lower().rstrip(".")
    domain = domain.lower().rstrip(".")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def in_scope(url: str, root_domain: str) -> bool:
    """True when the URL's host is the root registrable domain or one of its subdomains."""
    host = url_host(url)
    return bool(host) and registrable_domain(host) == root_domain.lower()


@lru_cache(maxsize=16_384)
def is_offsite_evidence_url(url: str) -> bool:
    """True for off-site pages worth following from a company page: status, trust, docs, ATS, GitHub org."""
    host = url_host(url)
    if not host:
        return False
    if host == GITHUB_HOST or host == f"www.{GITHUB_HOST}":
        segments = [s for s in urlsplit(url).path.split("/") if s]
        return 1 <= len(segments) <= 2 and segments[0].lower() not in GITHUB_RESERVED
    labels = host.split(".")
    if len(labels) > 2 and labels[0] in EVIDENCE_HOST_LABELS:
        return True
    return host_under(host, EVIDENCE_HOST_SUFFIXES)


def host_under(host: str, suffixes: tuple[str, ...]) -> bool:
    """True when host is one of the suffixes or a subdomain of one."""
    return any(host == suffix or host.endswith("." + suffix) for suffix in suffixes)


def path_depth(url: str) -> int:
    """Number of non-empty path segments of a URL."""
    return len([segment for segment in urlsplit(url).path.split("/") if segment])
