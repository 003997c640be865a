"""Pure helpers that turn one HTTP response's headers and HTML into security posture facts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

from selectolax.lexbor import LexborHTMLParser

from techscaniq.evidence.urls import join_url

Headers = Sequence[tuple[str, str]]

RAW_VALUE_MAX_CHARS = 1024
HSTS_READ_MAX_CHARS = 1024
HSTS_SIX_MONTHS_SECONDS = 15_552_000
SECURITY_TXT_MAX_CHARS = 65_536
SECURITY_TXT_FAR_EXPIRY = timedelta(days=366)
VERSIONS_PER_HEADER_MAX = 10

# ---------------------------------------------------------------------------------------------------------------
# Header access


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of the header `name` (case-insensitive), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def truncate(value: str, limit: int = RAW_VALUE_MAX_CHARS) -> str:
    """`value` cut to `limit` characters."""
    return value if len(value) <= limit else value[:limit]


def split_url(url: str) -> SplitResult | None:
    """`url` split into its parts, or None when it cannot be split (a broken IPv6 literal, say)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def resolve_url(base: str, reference: str) -> str | None:
    """`reference` resolved against `base`, or None when either cannot be split."""
    try:
        return join_url(base, reference)
    except ValueError:
        return None


def single_token(values: Sequence[str]) -> str | None:
    """The one distinct lower-cased comma-separated token across `values`, or None if there are several."""
    tokens = {token.strip().lower() for value in values for token in value.split(",")}
    return tokens.pop() if len(tokens) == 1 else None


# ---------------------------------------------------------------------------------------------------------------
# Content-Security-Policy

_DIRECTIVE_NAME = re.compile(r"^[a-z0-9-]+$")
# CSP directive values are visible ASCII without ',' and ';' (those split policies and directives).
_DIRECTIVE_VALUE = re.compile(r"^[\x21-\x2b\x2d-\x3a\x3c-\x7e]+$")


@dataclass(frozen=True)
class CspPolicy:
    """One parsed CSP policy: directive name -> lower-cased sources; the first of a repeated directive wins."""

    directives: dict[str, tuple[str, ...]]
    duplicated: tuple[str, ...] = ()
    valid: bool = True

    def sources(self, directive: str) -> tuple[str, ...] | None:
        """The sources of `directive`, or None when the policy does not name it."""
        return self.directives.get(directive)


def split_policies(header_value: str) -> list[str]:
    """The non-empty policies of one CSP header value (policies are comma-separated)."""
    return [policy for policy in header_value.split(",") if policy.strip()]


def parse_csp_policy(policy: str) -> CspPolicy:
    """Parse one serialized CSP policy; a bad directive name or value, or no directive, makes it invalid."""
    directives: dict[str, tuple[str, ...]] = {}
    duplicated: list[str] = []
    valid = True
    for raw_directive in policy.split(";"):
        tokens = raw_directive.split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if not _DIRECTIVE_NAME.match(name) or not all(_DIRECTIVE_VALUE.match(token) for token in tokens[1:]):
            valid = False
            continue
        if name in directives:
            duplicated.append(name)
            continue
        directives[name] = tuple(token.lower() for token in tokens[1:])
    return CspPolicy(directives=directives, duplicated=tuple(duplicated), valid=valid and bool(directives))


def parse_csp_header_values(values: Iterable[str]) -> list[CspPolicy]:
    """Every policy in a list of CSP header values; a header with no policy at all is one invalid policy."""
    policies: list[CspPolicy] = []
    for value in values:
        parts = split_policies(value)
        if not parts:
            policies.append(CspPolicy(directives={}, valid=False))
        policies.extend(parse_csp_policy(part) for part in parts)
    return policies


# ---------------------------------------------------------------------------------------------------------------
# Strict-Transport-Security


@dataclass(frozen=True)
class HstsFacts:
    """A parsed Strict-Transport-Security header (only the first 1,024 characters are read)."""

    max_age: int | None
    include_subdomains: bool
    preload: bool
    valid: bool
    problem: str | None = None


def parse_hsts(values: Sequence[str]) -> HstsFacts | None:
    """Parse the HSTS header values; None when absent. Two headers read as one value with a comma: invalid."""
    if not values:
        return None
    value = truncate(", ".join(values), HSTS_READ_MAX_CHARS)
    max_age: int | None = None
    include_subdomains = preload = False
    for directive in value.split(";"):
        name, _, argument = directive.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age":
            argument = argument.strip().strip('"')
            max_age = int(argument) if argument.isascii() and argument.isdigit() else None
        elif name == "includesubdomains":
            include_subdomains = True
        elif name == "preload":
            preload = True
    problem = None
    if "," in value:
        problem = "the header is set more than once or contains a comma"
    elif max_age is None:
        problem = "no valid max-age directive"
    return HstsFacts(max_age, include_subdomains, preload, valid=problem is None, problem=problem)


# ---------------------------------------------------------------------------------------------------------------
# Referrer-Policy

SAFE_REFERRER_POLICIES = frozenset(
    {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
)
UNSAFE_REFERRER_POLICIES = frozenset(
    {"origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"}
)
VALID_REFERRER_POLICIES = SAFE_REFERRER_POLICIES | UNSAFE_REFERRER_POLICIES


def effective_referrer_policy(values: Iterable[str]) -> str | None:
    """The last valid policy token across `values` (browsers ignore unknown tokens), or None."""
    policy = None
    for value in values:
        for token in value.split(","):
            if token.strip().lower() in VALID_REFERRER_POLICIES:
                policy = token.strip().lower()
    return policy


# ---------------------------------------------------------------------------------------------------------------
# Presence matrix


class Presence(StrEnum):
    """Whether a security header is present and usable."""

    PRESENT = "present"
    ABSENT = "absent"
    INVALID = "invalid"


@dataclass(frozen=True)
class HeaderPresence:
    """One row of the securityheaders-style matrix: the raw value (≤ 1 KiB) and a short verdict."""

    header: str
    presence: Presence
    value: str | None
    verdict: str
    warnings: tuple[str, ...] = ()


MATRIX_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Embedder-Policy",
    "Cross-Origin-Resource-Policy",
)

_PERMISSIONS_MEMBER = re.compile(
    r'^(?P<feature>[a-z*][a-z0-9_.*-]*)\s*=\s*(?P<allow>\*|self|"[^"]*"|\((?:[^()"]|"[^"]*")*\))\s*(?:;.*)?$'
)
_COOP_VALUES = frozenset({"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"})
_COEP_VALUES = frozenset({"require-corp", "credentialless", "unsafe-none"})
_CORP_VALUES = frozenset({"same-origin", "same-site", "cross-origin"})


def header_matrix(headers: Headers, *, https: bool = True) -> dict[str, HeaderPresence]:
    """A presence row per security header of one response; HSTS only counts on an https response."""
    rows = {
        "Strict-Transport-Security": _hsts_row(headers, https),
        "Content-Security-Policy": _csp_row(headers),
        "X-Frame-Options": _frame_options_row(headers),
        "X-Content-Type-Options": _content_type_options_row(headers),
        "Referrer-Policy": _referrer_row(headers),
        "Permissions-Policy": _permissions_row(headers),
        "Cross-Origin-Opener-Policy": _structured_token_row(
            headers, "Cross-Origin-Opener-Policy", _COOP_VALUES
        ),
        "Cross-Origin-Embedder-Policy": _structured_token_row(
            headers, "Cross-Origin-Embedder-Policy", _COEP_VALUES
        ),
        "Cross-Origin-Resource-Policy": _structured_token_row(
            headers, "Cross-Origin-Resource-Policy", _CORP_VALUES
        ),
    }
    return {name: rows[name] for name in MATRIX_HEADERS}


def _raw(values: Sequence[str]) -> str | None:
    return truncate(", ".join(values)) if values else None


def _absent(header: str) -> HeaderPresence:
    return HeaderPresence(header, Presence.ABSENT, None, "not set")


def _hsts_row(headers: Headers, https: bool) -> HeaderPresence:
    header = "Strict-Transport-Security"
    values = header_values(headers, header)
    hsts = parse_hsts(values)
    if hsts is None:
        return _absent(header)
    if not https:
        return HeaderPresence(header, Presence.INVALID, _raw(values), "ignored: sent over plain http")
    if not hsts.valid or hsts.max_age is None:
        return HeaderPresence(header, Presence.INVALID, _raw(values), f"invalid: {hsts.problem}")
    notes = [f"max-age={hsts.max_age}"]
    if hsts.include_subdomains:
        notes.append("includeSubDomains")
    if hsts.preload:
        notes.append("preload")
    warnings = []
    if hsts.max_age == 0:
        warnings.append("max-age=0 tells browsers to forget HSTS")
    elif hsts.max_age < HSTS_SIX_MONTHS_SECONDS:
        warnings.append("max-age is shorter than six months")
    return HeaderPresence(header, Presence.PRESENT, _raw(values), "; ".join(notes), tuple(warnings))


def _csp_row(headers: Headers) -> HeaderPresence:
    header = "Content-Security-Policy"
    values = header_values(headers, header)
    if not values:
        report_only = header_values(headers, "Content-Security-Policy-Report-Only")
        if report_only:
            return HeaderPresence(header, Presence.ABSENT, None, "report-only policy, nothing enforced")
        return _absent(header)
    policies = parse_csp_header_values(values)
    if not all(policy.valid for policy in policies):
        return HeaderPresence(header, Presence.INVALID, _raw(values), "a policy does not parse")
    warnings = [
        f"allows {keyword}"
        for keyword in ("'unsafe-inline'", "'unsafe-eval'")
        if any(keyword in sources for policy in policies for sources in policy.directives.values())
    ]
    directive_count = sum(len(policy.directives) for policy in policies)
    verdict = (
        f"enforced: {len(policies)} polic{'y' if len(policies) == 1 else 'ies'}, {directive_count} directives"
    )
    return HeaderPresence(header, Presence.PRESENT, _raw(values), verdict, tuple(warnings))


def _frame_options_row(headers: Headers) -> HeaderPresence:
    header = "X-Frame-Options"
    values = header_values(headers, header)
    policies = parse_csp_header_values(header_values(headers, "Content-Security-Policy"))
    via_csp = any(policy.valid and "frame-ancestors" in policy.directives for policy in policies)
    token = single_token(values) if values else None
    if token in ("deny", "sameorigin"):
        return HeaderPresence(header, Presence.PRESENT, _raw(values), token.upper())
    if via_csp:
        return HeaderPresence(header, Presence.PRESENT, _raw(values), "covered by CSP frame-ancestors")
    if not values:
        return _absent(header)
    if token is not None and token.startswith("allow-from"):
        return HeaderPresence(
            header, Presence.INVALID, _raw(values), "ALLOW-FROM is obsolete; browsers ignore it"
        )
    return HeaderPresence(header, Presence.INVALID, _raw(values), "not DENY or SAMEORIGIN")


def _content_type_options_row(headers: Headers) -> HeaderPresence:
    header = "X-Content-Type-Options"
    values = header_values(headers, header)
    if not values:
        return _absent(header)
    if single_token(values) == "nosniff":
        return HeaderPresence(header, Presence.PRESENT, _raw(values), "nosniff")
    return HeaderPresence(header, Presence.INVALID, _raw(values), "not nosniff")


def _referrer_row(headers: Headers) -> HeaderPresence:
    header = "Referrer-Policy"
    values = header_values(headers, header)
    if not values:
        return _absent(header)
    policy = effective_referrer_policy(values)
    if policy is None:
        return HeaderPresence(header, Presence.INVALID, _raw(values), "no valid policy token")
    warnings = (
        (f"{policy} leaks the full URL or origin cross-site",) if policy in UNSAFE_REFERRER_POLICIES else ()
    )
    return HeaderPresence(header, Presence.PRESENT, _raw(values), policy, warnings)


def parse_permissions_policy(value: str) -> dict[str, str] | None:
    """Feature -> allowlist of a Permissions-Policy value, or None when it does not parse."""
    features: dict[str, str] = {}
    for member in value.split(","):
        match = _PERMISSIONS_MEMBER.match(member.strip())
        if match is None:
            return None
        features[match["feature"]] = match["allow"]
    return features


def _permissions_row(headers: Headers) -> HeaderPresence:
    header = "Permissions-Policy"
    values = header_values(headers, header)
    if not values:
        return _absent(header)
    features = parse_permissions_policy(", ".join(values))
    if not features:
        return HeaderPresence(
            header, Presence.INVALID, _raw(values), "does not parse as a structured dictionary"
        )
    disabled = sorted(name for name, allow in features.items() if allow.replace(" ", "") == "()")
    limited = sorted(name for name, allow in features.items() if allow != "*" and name not in disabled)
    parts = []
    if disabled:
        parts.append(f"disabled: {', '.join(disabled)}")
    if limited:
        parts.append(f"limited: {', '.join(limited)}")
    return HeaderPresence(header, Presence.PRESENT, _raw(values), "; ".join(parts) or "no feature restricted")


def structured_token(values: Sequence[str]) -> str | None:
    """The token of a single structured-field header (parameters dropped), or None if absent or repeated."""
    if len(values) != 1:
        return None
    return values[0].split(";", 1)[0].strip().lower()


def _structured_token_row(headers: Headers, header: str, known: frozenset[str]) -> HeaderPresence:
    values = header_values(headers, header)
    if not values:
        return _absent(header)
    token = structured_token(values)
    if token is None:
        return HeaderPresence(header, Presence.INVALID, _raw(values), "set more than once")
    if token not in known:
        return HeaderPresence(
            header, Presence.INVALID, _raw(values), f"unknown value {truncate(token, 64)!r}"
        )
    return HeaderPresence(header, Presence.PRESENT, _raw(values), token)


@dataclass(frozen=True)
class DeprecatedHeader:
    """A deprecated security header seen on the response: recorded as a fact, never scored."""

    header: str
    value: str
    note: str


_DEPRECATED_NOTES = {
    "x-xss-protection": "deprecated; absent or 0 is the modern advice",
    "expect-ct": "deprecated; browsers ignore it",
    "public-key-pins": "deprecated; browsers ignore it",
    "public-key-pins-report-only": "deprecated; browsers ignore it",
    "feature-policy": "replaced by Permissions-Policy",
}


def deprecated_headers(headers: Headers) -> list[DeprecatedHeader]:
    """The deprecated security headers present, with a note each."""
    return [
        DeprecatedHeader(name, truncate(value), _DEPRECATED_NOTES[name.lower()])
        for name, value in headers
        if name.lower() in _DEPRECATED_NOTES
    ]


# ---------------------------------------------------------------------------------------------------------------
# Cookies

SAMESITE_VALUES = frozenset({"lax", "strict", "none"})


class CookiePrefix(StrEnum):
    """The cookie name prefixes browsers enforce."""

    HOST = "__Host-"
    SECURE = "__Secure-"


@dataclass(frozen=True)
class CookieFacts:
    """The security-relevant attributes of one Set-Cookie (the value is never kept)."""

    name: str
    secure: bool
    httponly: bool
    samesite: str | None  # lower-cased; "" when the attribute has no value, None when absent
    path: str | None
    domain: str | None
    has_expires: bool
    has_max_age: bool
    prefix: CookiePrefix | None
    prefix_valid: bool | None  # None when the name has no prefix

    @property
    def persistent(self) -> bool:
        """True when the cookie outlives the browser session."""
        return self.has_expires or self.has_max_age

    @property
    def samesite_valid(self) -> bool:
        """True when SameSite is absent or a known value, and SameSite=None comes with Secure."""
        if self.samesite is None:
            return True
        return self.samesite in SAMESITE_VALUES and (self.samesite != "none" or self.secure)

    @property
    def session_like(self) -> bool:
        """True when the name suggests a session or login cookie."""
        return "sess" in self.name.lower() or "login" in self.name.lower()

    @property
    def csrf_like(self) -> bool:
        """True when the name suggests an anti-CSRF token."""
        return "csrf" in self.name.lower()


def parse_cookies(set_cookie_values: Iterable[str]) -> list[CookieFacts]:
    """Parse Set-Cookie values (one per header) into facts; a value with neither name nor value is skipped."""
    cookies = []
    for raw in set_cookie_values:
        cookie = parse_set_cookie(raw)
        if cookie is not None:
            cookies.append(cookie)
    return cookies


def parse_set_cookie(raw: str) -> CookieFacts | None:
    """Parse one Set-Cookie value the way RFC 6265bis does; None when it sets nothing."""
    pair, *attributes = raw.split(";")
    name, has_equals, value = pair.partition("=")
    name = name.strip() if has_equals else ""
    if not name and not (value if has_equals else pair).strip():
        return None
    attrs: dict[str, str] = {}
    for attribute in attributes:
        key, _, argument = attribute.partition("=")
        # Later attributes win, as in browsers.
        attrs[key.strip().lower()] = argument.strip()
    secure = "secure" in attrs
    path = attrs.get("path")
    domain = attrs.get("domain")
    prefix = next((p for p in CookiePrefix if name.lower().startswith(p.value.lower())), None)
    prefix_valid: bool | None = None
    if prefix is CookiePrefix.SECURE:
        prefix_valid = secure
    elif prefix is CookiePrefix.HOST:
        prefix_valid = secure and path == "/" and domain is None
    samesite = attrs.get("samesite")
    return CookieFacts(
        name=truncate(name, 256),
        secure=secure,
        httponly="httponly" in attrs,
        samesite=None if samesite is None else truncate(samesite.lower(), 64),
        path=None if path is None else truncate(path, 256),
        domain=None if domain is None else truncate(domain.lower(), 256),
        has_expires="expires" in attrs,
        has_max_age="max-age" in attrs,
        prefix=prefix,
        prefix_valid=prefix_valid,
    )


# ---------------------------------------------------------------------------------------------------------------
# Version disclosure


@dataclass(frozen=True)
class Disclosure:
    """A product named by a header (or meta generator); a version makes it a finding."""

    source: str
    value: str
    product: str
    version: str | None

    @property
    def is_finding(self) -> bool:
        """True when a version number is disclosed."""
        return self.version is not None


DISCLOSURE_HEADERS = (
    "Server",
    "X-Powered-By",
    "X-AspNet-Version",
    "X-AspNetMvc-Version",
    "X-Generator",
    "X-Powered-CMS",
    "X-Runtime-Version",
)
# These headers carry a bare version of a product they do not name.
_IMPLIED_PRODUCTS = {"x-aspnet-version": "ASP.NET", "x-aspnetmvc-version": "ASP.NET MVC"}
_VERSION = re.compile(r"^v?\d+(?:[.\-_+][0-9A-Za-z]+)*$")
_COMMENT = re.compile(r"\([^()]*\)")


def version_disclosure(
    headers: Headers, html: str = "", tree: LexborHTMLParser | None = None
) -> list[Disclosure]:
    """Products (with a version when one is given) disclosed by identifying headers and `<meta name=generator>`.

    `tree` is the page already parsed, if the caller has it.
    """
    disclosures: list[Disclosure] = []
    wanted = {name.lower(): name for name in DISCLOSURE_HEADERS}
    for key, value in headers:
        if key.lower() in wanted and value.strip():
            disclosures += _products(wanted[key.lower()], value, _IMPLIED_PRODUCTS.get(key.lower()))
    if html:
        for node in (tree if tree is not None else LexborHTMLParser(html)).css("meta[name]"):
            content = node.attributes.get("content") or ""
            if (node.attributes.get("name") or "").lower() == "generator" and content.strip():
                disclosures += _products("meta generator", content, None)
    return disclosures


def _products(source: str, value: str, implied_product: str | None) -> list[Disclosure]:
    kept = truncate(value.strip())
    found: list[tuple[str, str | None]] = []
    for token in _COMMENT.sub(" ", kept).split():
        product, slash, version = token.partition("/")
        if slash:
            found.append((product, version if _VERSION.match(version) else None))
        elif _VERSION.match(token) and found and found[-1][1] is None:
            found[-1] = (found[-1][0], token)
        elif _VERSION.match(token) and implied_product:
            found.append((implied_product, token))
        elif not _VERSION.match(token):
            found.append((token, None))
    if not any(version for _, version in found):
        return [Disclosure(source, kept, implied_product or truncate(kept, 128), None)]
    return [
        Disclosure(source, kept, truncate(product, 128), truncate(version, 64))
        for product, version in found[:VERSIONS_PER_HEADER_MAX]
        if version
    ]


# ---------------------------------------------------------------------------------------------------------------
# Mixed content and subresource integrity

_MIXED_CONTENT_ATTRIBUTES = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "form": ("action",),
}
_LOADING_LINK_RELS = frozenset(
    {
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "mask-icon",
        "preload",
        "modulepreload",
        "prefetch",
        "manifest",
    }
)


def mixed_content(page_url: str, html: str, tree: LexborHTMLParser | None = None) -> list[str]:
    """The distinct http:// subresource URLs of an https page, in document order (none on an http page)."""
    if origin_of(page_url)[0] != "https" or not html:
        return []
    tree = tree if tree is not None else LexborHTMLParser(html)
    candidates: list[str] = []
    for node in tree.css(", ".join(_MIXED_CONTENT_ATTRIBUTES)):
        for attribute in _MIXED_CONTENT_ATTRIBUTES.get(node.tag or "", ()):
            value = node.attributes.get(attribute) or ""
            if attribute == "srcset":
                candidates += [candidate.split()[0] for candidate in value.split(",") if candidate.split()]
            else:
                candidates.append(value)
    for node in tree.css("link[href]"):
        rels = set((node.attributes.get("rel") or "").lower().split())
        if rels & _LOADING_LINK_RELS:
            candidates.append(node.attributes.get("href") or "")
    insecure = (candidate.strip() for candidate in candidates)
    return list(dict.fromkeys(url for url in insecure if url.lower().startswith("http://")))


@dataclass(frozen=True)
class SriSummary:
    """Cross-origin scripts and stylesheets of a page, split by whether they carry `integrity`."""

    scripts_with_integrity: tuple[str, ...]
    scripts_without_integrity: tuple[str, ...]
    stylesheets_with_integrity: tuple[str, ...]
    stylesheets_without_integrity: tuple[str, ...]

    @property
    def external_count(self) -> int:
        """How many cross-origin scripts and stylesheets the page loads."""
        groups = (
            self.scripts_with_integrity,
            self.scripts_without_integrity,
            self.stylesheets_with_integrity,
            self.stylesheets_without_integrity,
        )
        return sum(len(group) for group in groups)

    @property
    def all_protected(self) -> bool:
        """True when every cross-origin script and stylesheet has integrity (vacuously true when none)."""
        return not self.scripts_without_integrity and not self.stylesheets_without_integrity


@lru_cache(maxsize=16_384)  # a site's pages load the same scripts and stylesheets
def origin_of(url: str) -> tuple[str, str, int | None]:
    """The (scheme, host, port) origin of `url`, with the scheme's default port made explicit."""
    parts = split_url(url)
    if parts is None:
        return "", "", None
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default_port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port or default_port


def subresource_integrity(page_url: str, html: str, tree: LexborHTMLParser | None = None) -> SriSummary:
    """Which cross-origin `<script src>` and stylesheet `<link>` elements carry a non-empty `integrity`."""
    buckets: dict[tuple[str, bool], list[str]] = {
        (kind, protected): [] for kind in ("script", "style") for protected in (True, False)
    }
    if html:
        page_origin = origin_of(page_url)
        tree = tree if tree is not None else LexborHTMLParser(html)
        elements = [("script", node, node.attributes.get("src")) for node in tree.css("script[src]")]
        elements += [
            ("style", node, node.attributes.get("href"))
            for node in tree.css("link[href]")
            if "stylesheet" in (node.attributes.get("rel") or "").lower().split()
        ]
        for kind, node, reference in elements:
            url = resolve_url(page_url, (reference or "").strip()) or ""
            scheme, _, _ = origin = origin_of(url)
            if reference and scheme in ("http", "https") and origin != page_origin:
                protected = bool((node.attributes.get("integrity") or "").strip())
                buckets[kind, protected].append(url)
    return SriSummary(
        scripts_with_integrity=tuple(dict.fromkeys(buckets["script", True])),
        scripts_without_integrity=tuple(dict.fromkeys(buckets["script", False])),
        stylesheets_with_integrity=tuple(dict.fromkeys(buckets["style", True])),
        stylesheets_without_integrity=tuple(dict.fromkeys(buckets["style", False])),
    )


# ---------------------------------------------------------------------------------------------------------------
# CORS


@dataclass(frozen=True)
class CorsFacts:
    """What a response's CORS headers allow."""

    allow_origin: str | None
    allow_credentials: bool
    repeated_allow_origin: bool
    wildcard: bool
    null_origin: bool
    reflects_request_origin: bool

    @property
    def wildcard_with_credentials(self) -> bool:
        """`*` with credentials: browsers refuse it, so it signals a confused configuration."""
        return self.wildcard and self.allow_credentials

    @property
    def credentialed_any_origin(self) -> bool:
        """True when the request's own origin is echoed with credentials allowed: any site can read as the user."""
        return self.reflects_request_origin and self.allow_credentials


def cors_summary(headers: Headers, request_origin: str | None = None) -> CorsFacts:
    """Summarise Access-Control-Allow-Origin/-Credentials; `request_origin` is the Origin we sent, if any."""
    origins = [value.strip() for value in header_values(headers, "Access-Control-Allow-Origin")]
    credentials = [
        value.strip().lower() for value in header_values(headers, "Access-Control-Allow-Credentials")
    ]
    allow_origin = truncate(origins[0]) if origins else None
    return CorsFacts(
        allow_origin=allow_origin,
        allow_credentials="true" in credentials,
        repeated_allow_origin=len(origins) > 1,
        wildcard=allow_origin == "*",
        null_origin=allow_origin is not None and allow_origin.lower() == "null",
        reflects_request_origin=bool(request_origin)
        and allow_origin is not None
        and allow_origin.rstrip("/").lower() == (request_origin or "").rstrip("/").lower(),
    )


# ---------------------------------------------------------------------------------------------------------------
# security.txt (RFC 9116)


@dataclass(frozen=True)
class SecurityTxt:
    """The fields of a security.txt file with its problems; `errors` make it invalid, `warnings` do not."""

    contact: tuple[str, ...]
    expires: datetime | None
    expired: bool
    encryption: tuple[str, ...]
    acknowledgments: tuple[str, ...]
    preferred_languages: tuple[str, ...]
    canonical: tuple[str, ...]
    policy: tuple[str, ...]
    hiring: tuple[str, ...]
    signed: bool
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """True when the file has every required field and no error."""
        return not self.errors


_PGP_SIGNED_HEADER = "-----BEGIN PGP SIGNED MESSAGE-----"
_PGP_SIGNATURE_HEADER = "-----BEGIN PGP SIGNATURE-----"
_MULTI_FIELDS = ("contact", "encryption", "acknowledgments", "canonical", "policy", "hiring")
_SINGLE_FIELDS = ("expires", "preferred-languages")
_FIELD_LINE = re.compile(r"^(?P<name>[A-Za-z0-9-]+):\s*(?P<value>.*)$")


def parse_security_txt(text: str, now: datetime | None = None) -> SecurityTxt:
    """Parse an RFC 9116 security.txt; `now` (default: the current UTC time) decides whether it has expired."""
    now = now or datetime.now(UTC)
    errors: list[str] = []
    warnings: list[str] = []
    if len(text) > SECURITY_TXT_MAX_CHARS:
        warnings.append(f"only the first {SECURITY_TXT_MAX_CHARS} characters were read")
    body, signed = _strip_signature(text[:SECURITY_TXT_MAX_CHARS].lstrip("\ufeff"))
    fields: dict[str, list[str]] = {name: [] for name in (*_MULTI_FIELDS, *_SINGLE_FIELDS)}
    for number, line in enumerate(body.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _FIELD_LINE.match(line)
        if match is None:
            errors.append(f"line {number} is not a field")
            continue
        name = match["name"].lower()
        if name in fields:
            fields[name].append(truncate(match["value"].strip()))
    for name in _SINGLE_FIELDS:
        if len(fields[name]) > 1:
            errors.append(f"{name} appears more than once")
    for uri in fields["contact"]:
        if uri.lower().startswith("http://"):
            warnings.append(f"contact {uri} is not https")
    if not fields["contact"]:
        errors.append("the required Contact field is missing")
    expires = _expires(fields["expires"], errors)
    expired = expires is not None and expires <= now
    if expired:
        warnings.append("Expires is in the past")
    elif expires is not None and expires - now > SECURITY_TXT_FAR_EXPIRY:
        warnings.append("Expires is more than a year ahead")
    languages = fields["preferred-languages"][:1]
    return SecurityTxt(
        contact=tuple(fields["contact"]),
        expires=expires,
        expired=expired,
        encryption=tuple(fields["encryption"]),
        acknowledgments=tuple(fields["acknowledgments"]),
        preferred_languages=tuple(
            tag.strip() for value in languages for tag in value.split(",") if tag.strip()
        ),
        canonical=tuple(fields["canonical"]),
        policy=tuple(fields["policy"]),
        hiring=tuple(fields["hiring"]),
        signed=signed,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


def _strip_signature(text: str) -> tuple[str, bool]:
    """The signed body of a cleartext-signed file (dash-escaping undone), and whether it was signed."""
    stripped = text.lstrip()
    if not stripped.startswith(_PGP_SIGNED_HEADER):
        return text, False
    lines = stripped.splitlines()[1:]
    # The armor headers (Hash: ...) end at the first blank line.
    body_start = next((index + 1 for index, line in enumerate(lines) if not line.strip()), len(lines))
    body: list[str] = []
    for line in lines[body_start:]:
        if line.startswith(_PGP_SIGNATURE_HEADER):
            break
        body.append(line[2:] if line.startswith("- ") else line)
    return "\n".join(body), True


def _expires(values: list[str], errors: list[str]) -> datetime | None:
    if not values:
        errors.append("the required Expires field is missing")
        return None
    try:
        expires = datetime.fromisoformat(values[0])
    except ValueError:
        errors.append(f"Expires {truncate(values[0], 64)!r} is not an RFC 3339 date-time")
        return None
    if expires.tzinfo is None:
        errors.append("Expires has no time zone")
        return expires.replace(tzinfo=UTC)
    return expires
