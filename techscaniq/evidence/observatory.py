"""MDN HTTP Observatory scoring (algorithm version 6) over facts the guarded client already recorded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from techscaniq.evidence.security_headers import (
    HSTS_SIX_MONTHS_SECONDS,
    SAFE_REFERRER_POLICIES,
    CspPolicy,
    cors_summary,
    effective_referrer_policy,
    header_values,
    parse_cookies,
    parse_csp_header_values,
    parse_csp_policy,
    parse_hsts,
    resolve_url,
    single_token,
    split_url,
    structured_token,
    truncate,
)
from techscaniq.evidence.urls import registrable_domain, url_host

ALGORITHM_VERSION = 6
BASE_SCORE = 100
BONUS_THRESHOLD = 90
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})

Headers = tuple[tuple[str, str], ...]


class TestName(StrEnum):
    """The twelve Observatory tests."""

    CSP = "content-security-policy"
    COOKIES = "cookies"
    CORS = "cross-origin-resource-sharing"
    REDIRECTION = "redirection"
    REFERRER_POLICY = "referrer-policy"
    HSTS = "strict-transport-security"
    SRI = "subresource-integrity"
    X_CONTENT_TYPE_OPTIONS = "x-content-type-options"
    X_FRAME_OPTIONS = "x-frame-options"
    CORP = "cross-origin-resource-policy"
    COOP = "cross-origin-opener-policy"
    COEP = "cross-origin-embedder-policy"


class Expectation(StrEnum):
    """The Observatory's result ids, kept verbatim so analysts can compare with the public tool."""

    CSP_HEADER_INVALID = "csp-header-invalid"
    CSP_NOT_IMPLEMENTED_BUT_REPORTING_ENABLED = "csp-not-implemented-but-reporting-enabled"
    CSP_NOT_IMPLEMENTED = "csp-not-implemented"
    CSP_UNSAFE_INLINE = "csp-implemented-with-unsafe-inline"
    CSP_INSECURE_SCHEME = "csp-implemented-with-insecure-scheme"
    CSP_UNSAFE_EVAL = "csp-implemented-with-unsafe-eval"
    CSP_INSECURE_SCHEME_PASSIVE_ONLY = "csp-implemented-with-insecure-scheme-in-passive-content-only"
    CSP_UNSAFE_INLINE_STYLE_ONLY = "csp-implemented-with-unsafe-inline-in-style-src-only"
    CSP_DEFAULT_SRC_NONE = "csp-implemented-with-no-unsafe-default-src-none"
    CSP_NO_UNSAFE = "csp-implemented-with-no-unsafe"
    CSP_DUPLICATE_DIRECTIVES = "csp-implemented-but-duplicate-directives"

    COOKIES_NOT_FOUND = "cookies-not-found"
    COOKIES_SECURE_HTTPONLY_SAMESITE = "cookies-secure-with-httponly-sessions-and-samesite"
    COOKIES_SECURE_HTTPONLY = "cookies-secure-with-httponly-sessions"
    COOKIES_WITHOUT_SECURE_BUT_HSTS = "cookies-without-secure-flag-but-protected-by-hsts"
    COOKIES_WITHOUT_SECURE = "cookies-without-secure-flag"
    COOKIES_SESSION_WITHOUT_SECURE_BUT_HSTS = "cookies-session-without-secure-flag-but-protected-by-hsts"
    COOKIES_SAMESITE_INVALID = "cookies-samesite-flag-invalid"
    COOKIES_ANTICSRF_WITHOUT_SAMESITE = "cookies-anticsrf-without-samesite-flag"
    COOKIES_SESSION_WITHOUT_HTTPONLY = "cookies-session-without-httponly-flag"
    COOKIES_SESSION_WITHOUT_SECURE = "cookies-session-without-secure-flag"

    CORS_NOT_IMPLEMENTED = "cross-origin-resource-sharing-not-implemented"
    CORS_PUBLIC = "cross-origin-resource-sharing-implemented-with-public-access"
    CORS_RESTRICTED = "cross-origin-resource-sharing-implemented-with-restricted-access"
    CORS_UNIVERSAL = "cross-origin-resource-sharing-implemented-with-universal-access"

    REDIRECTION_NO_HTTP = "redirection-not-needed-no-http"
    REDIRECTION_INVALID_CERT = "redirection-invalid-cert"
    REDIRECTION_ALL_PRELOADED = "redirection-all-redirects-preloaded"
    REDIRECTION_MISSING = "redirection-missing"
    REDIRECTION_NOT_TO_HTTPS = "redirection-not-to-https"
    REDIRECTION_NOT_TO_HTTPS_INITIALLY = "redirection-not-to-https-on-initial-redirection"
    REDIRECTION_OFF_HOST = "redirection-off-host-from-http"
    REDIRECTION_TO_HTTPS = "redirection-to-https"

    REFERRER_PRIVATE = "referrer-policy-private"
    REFERRER_NOT_IMPLEMENTED = "referrer-policy-not-implemented"
    REFERRER_UNSAFE = "referrer-policy-unsafe"
    REFERRER_INVALID = "referrer-policy-header-invalid"

    HSTS_PRELOADED = "hsts-preloaded"
    HSTS_SIX_MONTHS = "hsts-implemented-max-age-at-least-six-months"
    HSTS_SHORT = "hsts-implemented-max-age-less-than-six-months"
    HSTS_NOT_IMPLEMENTED = "hsts-not-implemented"
    HSTS_INVALID = "hsts-header-invalid"
    HSTS_NO_HTTPS = "hsts-not-implemented-no-https"
    HSTS_INVALID_CERT = "hsts-invalid-cert"

    SRI_NOT_HTML = "sri-not-implemented-response-not-html"
    SRI_NO_SCRIPTS = "sri-not-implemented-but-no-scripts-loaded"
    SRI_ALL_SECURE = "sri-implemented-and-all-scripts-loaded-securely"
    SRI_EXTERNAL_SECURE = "sri-implemented-and-external-scripts-loaded-securely"
    SRI_SAME_SITE_ONLY = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
    SRI_MISSING_EXTERNAL_SECURE = "sri-not-implemented-but-external-scripts-loaded-securely"
    SRI_EXTERNAL_INSECURE = "sri-implemented-but-external-scripts-not-loaded-securely"
    SRI_MISSING_EXTERNAL_INSECURE = "sri-not-implemented-and-external-scripts-not-loaded-securely"
    HTML_NOT_PARSEABLE = "html-not-parseable"

    XCTO_NOSNIFF = "x-content-type-options-nosniff"
    XCTO_NOT_IMPLEMENTED = "x-content-type-options-not-implemented"
    XCTO_INVALID = "x-content-type-options-header-invalid"

    XFO_VIA_CSP = "x-frame-options-implemented-via-csp"
    XFO_SAMEORIGIN_OR_DENY = "x-frame-options-sameorigin-or-deny"
    XFO_ALLOW_FROM = "x-frame-options-allow-from-origin"
    XFO_NOT_IMPLEMENTED = "x-frame-options-not-implemented"
    XFO_INVALID = "x-frame-options-header-invalid"

    CORP_SAME_ORIGIN = "corp-implemented-with-same-origin"
    CORP_SAME_SITE = "corp-implemented-with-same-site"
    CORP_CROSS_ORIGIN = "corp-implemented-with-cross-origin"
    CORP_NOT_IMPLEMENTED = "corp-not-implemented"
    CORP_INVALID = "corp-header-invalid"

    COOP_SAME_ORIGIN = "coop-implemented-with-same-origin"
    COOP_SAME_ORIGIN_ALLOW_POPUPS = "coop-implemented-with-same-origin-allow-popups"
    COOP_NOOPENER_ALLOW_POPUPS = "coop-implemented-with-noopener-allow-popups"
    COOP_UNSAFE_NONE = "coop-implemented-with-unsafe-none"
    COOP_NOT_IMPLEMENTED = "coop-not-implemented"
    COOP_INVALID = "coop-header-invalid"

    COEP_REQUIRE_CORP = "coep-implemented-with-require-corp"
    COEP_CREDENTIALLESS = "coep-implemented-with-credentialless"
    COEP_UNSAFE_NONE = "coep-implemented-with-unsafe-none"
    COEP_NOT_IMPLEMENTED = "coep-not-implemented"
    COEP_INVALID = "coep-header-invalid"


@dataclass(frozen=True)
class Rule:
    """How one expectation scores: its modifier, whether the test passes, and what it means."""

    modifier: int
    passes: bool
    description: str


E = Expectation
RULES: dict[Expectation, Rule] = {
    E.CSP_HEADER_INVALID: Rule(-25, False, "A Content Security Policy does not parse"),
    E.CSP_NOT_IMPLEMENTED_BUT_REPORTING_ENABLED: Rule(
        -25, False, "CSP only in report-only mode; nothing enforced"
    ),
    E.CSP_NOT_IMPLEMENTED: Rule(-25, False, "No Content Security Policy"),
    E.CSP_UNSAFE_INLINE: Rule(
        -20, False, "CSP allows inline, data: or any-host scripts, or any-host plugins"
    ),
    E.CSP_INSECURE_SCHEME: Rule(-20, False, "CSP allows active content over http: or ftp:"),
    E.CSP_UNSAFE_EVAL: Rule(-10, False, "CSP allows 'unsafe-eval'"),
    E.CSP_INSECURE_SCHEME_PASSIVE_ONLY: Rule(-10, True, "CSP allows images or media over http: or ftp:"),
    E.CSP_UNSAFE_INLINE_STYLE_ONLY: Rule(0, True, "CSP is safe except for inline or broad styles"),
    E.CSP_DEFAULT_SRC_NONE: Rule(10, True, "CSP with no unsafe source and default-src 'none'"),
    E.CSP_NO_UNSAFE: Rule(5, True, "CSP with no unsafe source"),
    E.CSP_DUPLICATE_DIRECTIVES: Rule(0, True, "CSP passes but repeats a directive (the repeat is ignored)"),
    E.COOKIES_NOT_FOUND: Rule(0, True, "No cookies set"),
    E.COOKIES_SECURE_HTTPONLY_SAMESITE: Rule(
        5, True, "Cookies are Secure, session cookies HttpOnly, all SameSite"
    ),
    E.COOKIES_SECURE_HTTPONLY: Rule(
        0, True, "Cookies are Secure and session cookies HttpOnly; SameSite missing"
    ),
    E.COOKIES_WITHOUT_SECURE_BUT_HSTS: Rule(
        -5, False, "Cookies without Secure, but HSTS keeps them off http"
    ),
    E.COOKIES_WITHOUT_SECURE: Rule(-20, False, "Cookies without Secure and no HSTS"),
    E.COOKIES_SESSION_WITHOUT_SECURE_BUT_HSTS: Rule(
        -10, False, "Session cookie without Secure, but with HSTS"
    ),
    E.COOKIES_SAMESITE_INVALID: Rule(
        -20, False, "A cookie has an invalid SameSite, or SameSite=None without Secure"
    ),
    E.COOKIES_ANTICSRF_WITHOUT_SAMESITE: Rule(-20, False, "An anti-CSRF cookie has no SameSite"),
    E.COOKIES_SESSION_WITHOUT_HTTPONLY: Rule(
        -30, False, "A session cookie is readable by scripts (no HttpOnly)"
    ),
    E.COOKIES_SESSION_WITHOUT_SECURE: Rule(-40, False, "A session cookie without Secure and no HSTS"),
    E.CORS_NOT_IMPLEMENTED: Rule(0, True, "No cross-origin access allowed"),
    E.CORS_PUBLIC: Rule(0, True, "Public cross-origin access (*) without credentials"),
    E.CORS_RESTRICTED: Rule(0, True, "Cross-origin access restricted to named origins"),
    E.CORS_UNIVERSAL: Rule(-50, False, "Any origin may read responses with the user's credentials"),
    E.REDIRECTION_NO_HTTP: Rule(0, True, "The site does not answer over http"),
    E.REDIRECTION_INVALID_CERT: Rule(-20, False, "A redirect hop has a certificate that does not verify"),
    E.REDIRECTION_ALL_PRELOADED: Rule(0, True, "Every host in the redirect chain is HSTS-preloaded"),
    E.REDIRECTION_MISSING: Rule(-20, False, "http answers without redirecting to https"),
    E.REDIRECTION_NOT_TO_HTTPS: Rule(-20, False, "The http redirect chain does not end on https"),
    E.REDIRECTION_NOT_TO_HTTPS_INITIALLY: Rule(
        -10, False, "The first http redirect goes to another http URL"
    ),
    E.REDIRECTION_OFF_HOST: Rule(-5, False, "The first http redirect leaves the host, so HSTS cannot be set"),
    E.REDIRECTION_TO_HTTPS: Rule(0, True, "http redirects to https on the same host"),
    E.REFERRER_PRIVATE: Rule(5, True, "Referrer-Policy keeps URLs private cross-origin"),
    E.REFERRER_NOT_IMPLEMENTED: Rule(0, True, "No Referrer-Policy"),
    E.REFERRER_UNSAFE: Rule(-5, False, "Referrer-Policy leaks origins or URLs cross-origin"),
    E.REFERRER_INVALID: Rule(-5, False, "Referrer-Policy has no valid policy"),
    E.HSTS_PRELOADED: Rule(5, True, "The host is on the HSTS preload list"),
    E.HSTS_SIX_MONTHS: Rule(0, True, "HSTS max-age of at least six months"),
    E.HSTS_SHORT: Rule(-10, False, "HSTS max-age shorter than six months"),
    E.HSTS_NOT_IMPLEMENTED: Rule(-20, False, "No HSTS header"),
    E.HSTS_INVALID: Rule(-20, False, "HSTS header invalid (no max-age, or set twice)"),
    E.HSTS_NO_HTTPS: Rule(-20, False, "The site does not answer over https"),
    E.HSTS_INVALID_CERT: Rule(-20, False, "The https certificate does not verify"),
    E.SRI_NOT_HTML: Rule(0, True, "The response is not HTML"),
    E.SRI_NO_SCRIPTS: Rule(0, True, "The page loads no scripts"),
    E.SRI_ALL_SECURE: Rule(5, True, "Scripts use integrity over https"),
    E.SRI_EXTERNAL_SECURE: Rule(5, True, "Every foreign script uses integrity over https"),
    E.SRI_SAME_SITE_ONLY: Rule(0, True, "Only same-site scripts, without integrity"),
    E.SRI_MISSING_EXTERNAL_SECURE: Rule(-5, False, "A foreign script over https lacks integrity"),
    E.SRI_EXTERNAL_INSECURE: Rule(-20, False, "A foreign script with integrity loads over http or //"),
    E.SRI_MISSING_EXTERNAL_INSECURE: Rule(
        -50, False, "A foreign script without integrity loads over http or //"
    ),
    E.HTML_NOT_PARSEABLE: Rule(-20, False, "The HTML could not be parsed"),
    E.XCTO_NOSNIFF: Rule(0, True, "X-Content-Type-Options: nosniff"),
    E.XCTO_NOT_IMPLEMENTED: Rule(-5, False, "No X-Content-Type-Options"),
    E.XCTO_INVALID: Rule(-5, False, "X-Content-Type-Options is not nosniff"),
    E.XFO_VIA_CSP: Rule(5, True, "Framing controlled by CSP frame-ancestors"),
    E.XFO_SAMEORIGIN_OR_DENY: Rule(5, True, "X-Frame-Options DENY or SAMEORIGIN"),
    E.XFO_ALLOW_FROM: Rule(0, True, "X-Frame-Options ALLOW-FROM"),
    E.XFO_NOT_IMPLEMENTED: Rule(-20, False, "No framing protection"),
    E.XFO_INVALID: Rule(-20, False, "X-Frame-Options invalid"),
    E.CORP_SAME_ORIGIN: Rule(10, True, "Cross-Origin-Resource-Policy: same-origin"),
    E.CORP_SAME_SITE: Rule(10, True, "Cross-Origin-Resource-Policy: same-site"),
    E.CORP_CROSS_ORIGIN: Rule(0, True, "Cross-Origin-Resource-Policy: cross-origin"),
    E.CORP_NOT_IMPLEMENTED: Rule(0, True, "No Cross-Origin-Resource-Policy"),
    E.CORP_INVALID: Rule(-5, False, "Cross-Origin-Resource-Policy invalid"),
    E.COOP_SAME_ORIGIN: Rule(10, True, "Cross-Origin-Opener-Policy: same-origin"),
    E.COOP_SAME_ORIGIN_ALLOW_POPUPS: Rule(10, True, "Cross-Origin-Opener-Policy: same-origin-allow-popups"),
    E.COOP_NOOPENER_ALLOW_POPUPS: Rule(10, True, "Cross-Origin-Opener-Policy: noopener-allow-popups"),
    E.COOP_UNSAFE_NONE: Rule(0, True, "Cross-Origin-Opener-Policy: unsafe-none"),
    E.COOP_NOT_IMPLEMENTED: Rule(0, True, "No Cross-Origin-Opener-Policy"),
    E.COOP_INVALID: Rule(-5, False, "Cross-Origin-Opener-Policy invalid or repeated"),
    E.COEP_REQUIRE_CORP: Rule(10, True, "Cross-Origin-Embedder-Policy: require-corp"),
    E.COEP_CREDENTIALLESS: Rule(10, True, "Cross-Origin-Embedder-Policy: credentialless"),
    E.COEP_UNSAFE_NONE: Rule(0, True, "Cross-Origin-Embedder-Policy: unsafe-none"),
    E.COEP_NOT_IMPLEMENTED: Rule(0, True, "No Cross-Origin-Embedder-Policy"),
    E.COEP_INVALID: Rule(-5, False, "Cross-Origin-Embedder-Policy invalid or repeated"),
}


@dataclass(frozen=True)
class RedirectStep:
    """One response of the http:// chain: its URL, status and whether its certificate verified."""

    url: str
    status: int
    certificate_verified: bool = True


@dataclass(frozen=True)
class ResponseFacts:
    """Everything the score reads, as recorded by the guarded client; `url`/`status`/`headers`/`html` are `auto`."""

    url: str
    status: int
    headers: Headers
    html: str = ""
    # From the first http:// request to its final response; empty when http did not answer.
    redirect_chain: tuple[RedirectStep, ...] = ()
    https_certificate_verified: bool = True
    # Hosts the collector found on the HSTS preload list (listed, or under an include_subdomains parent).
    preloaded_hosts: frozenset[str] = frozenset()
    # Set-Cookie values of the session's other responses (redirect hops, robots.txt), one per header.
    other_set_cookies: tuple[str, ...] = ()
    # Headers of the OPTIONS preflight and the Origin it sent; None falls back to the `auto` headers.
    cors_preflight_headers: Headers | None = None
    cors_probe_origin: str = ""


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test: its expectation id, modifier, pass flag and supporting data."""

    name: TestName
    result: Expectation
    score_modifier: int
    passed: bool
    description: str
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ObservatoryResult:
    """Score, grade and the twelve test results; score and grade are None when the response cannot be scored."""

    score: int | None
    grade: str | None
    tests: tuple[TestResult, ...]
    unscored_reason: str | None = None
    algorithm_version: int = ALGORITHM_VERSION

    @property
    def tests_passed(self) -> int:
        """How many tests passed."""
        return sum(test.passed for test in self.tests)

    @property
    def tests_failed(self) -> int:
        """How many tests failed."""
        return len(self.tests) - self.tests_passed


def result_of(name: TestName, expectation: Expectation, **data: Any) -> TestResult:
    """A TestResult for `expectation`, with its modifier, pass flag and description from RULES."""
    rule = RULES[expectation]
    return TestResult(name, expectation, rule.modifier, rule.passes, rule.description, data)


# ---------------------------------------------------------------------------------------------------------------
# Score and grade

_GRADE_FLOORS = (
    (100, "A+"),
    (90, "A"),
    (85, "A-"),
    (80, "B+"),
    (70, "B"),
    (65, "B-"),
    (60, "C+"),
    (50, "C"),
    (45, "C-"),
    (40, "D+"),
    (30, "D"),
    (25, "D-"),
)


def grade_for(score: int) -> str:
    """The letter grade of a score: rounded down to a multiple of 5, capped at 100, looked up."""
    key = min(score - score % 5, 100)
    return next((grade for floor, grade in _GRADE_FLOORS if key >= floor), "F")


def total_score(modifiers: Sequence[int]) -> int:
    """100 plus the penalties, plus the bonuses only when the penalties alone leave at least 90; never below 0."""
    penalty_only = BASE_SCORE + sum(modifier for modifier in modifiers if modifier < 0)
    score = BASE_SCORE + sum(modifiers) if penalty_only >= BONUS_THRESHOLD else penalty_only
    return max(score, 0)


def is_scorable_status(status: int) -> bool:
    """True for a 2xx/3xx answer, or 401/403 (a login wall still sends its headers)."""
    return 200 <= status < 400 or status in (401, 403)


def score_observatory(facts: ResponseFacts) -> ObservatoryResult:
    """Run the twelve Observatory tests over `facts` and score them."""
    if not is_scorable_status(facts.status):
        return ObservatoryResult(None, None, (), unscored_reason=f"status {facts.status} cannot be scored")
    page = _Page.read(facts)
    hsts = _hsts_test(facts)
    tests = (
        _csp_test(facts, page),
        _cookies_test(facts, hsts_passed=hsts.passed),
        _cors_test(facts),
        _redirection_test(facts),
        _referrer_test(facts, page),
        hsts,
        _sri_test(facts, page),
        _content_type_options_test(facts),
        _frame_options_test(facts),
        _corp_test(facts, page),
        _coop_test(facts),
        _coep_test(facts),
    )
    score = total_score([test.score_modifier for test in tests])
    return ObservatoryResult(score, grade_for(score), tests)


# ---------------------------------------------------------------------------------------------------------------
# The page


@dataclass(frozen=True)
class _Script:
    src: str | None
    integrity: bool


@dataclass(frozen=True)
class _Page:
    """What the tests read from the HTML of `auto`."""

    is_html: bool
    parseable: bool
    meta_http_equiv: tuple[tuple[str, str], ...]
    meta_referrer: tuple[str, ...]
    scripts: tuple[_Script, ...]

    @classmethod
    def read(cls, facts: ResponseFacts) -> _Page:
        content_types = header_values(facts.headers, "Content-Type")
        if content_types:
            is_html = content_types[0].split(";", 1)[0].strip().lower() in HTML_MEDIA_TYPES
        else:
            is_html = bool(facts.html.strip())
        if not is_html:
            return cls(False, True, (), (), ())
        try:
            tree = LexborHTMLParser(facts.html)
            meta_http_equiv = tuple(
                (
                    (node.attributes.get("http-equiv") or "").strip().lower(),
                    node.attributes.get("content") or "",
                )
                for node in tree.css("meta[http-equiv]")
            )
            meta_referrer = tuple(
                node.attributes.get("content") or ""
                for node in tree.css("meta[name]")
                if (node.attributes.get("name") or "").strip().lower() == "referrer"
            )
            scripts = tuple(
                _Script(node.attributes.get("src"), bool((node.attributes.get("integrity") or "").strip()))
                for node in tree.css("script")
            )
        except (RuntimeError, ValueError):
            return cls(True, False, (), (), ())
        return cls(True, True, meta_http_equiv, meta_referrer, scripts)

    def meta(self, http_equiv: str) -> list[str]:
        """The contents of `<meta http-equiv>` elements naming `http_equiv`, in document order."""
        return [content for name, content in self.meta_http_equiv if name == http_equiv.lower()]


def _is_https(url: str) -> bool:
    parts = split_url(url)
    return parts is not None and parts.scheme.lower() == "https"


# ---------------------------------------------------------------------------------------------------------------
# Content-Security-Policy

BROAD_SOURCES = frozenset(
    {"*", "http:", "https:", "ftp:", "http://*", "http://*.*", "https://*", "https://*.*"}
)
_NONCE_OR_HASH_PREFIXES = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
# Directives whose value is not a source list, so an http: URL in them loads nothing.
_NON_SOURCE_DIRECTIVES = frozenset(
    {
        "report-uri",
        "report-to",
        "sandbox",
        "plugin-types",
        "upgrade-insecure-requests",
        "block-all-mixed-content",
        "require-trusted-types-for",
        "trusted-types",
        "require-sri-for",
        "referrer",
    }
)
_PASSIVE_DIRECTIVES = frozenset({"img-src", "media-src"})
_FETCH_DIRECTIVES = frozenset(
    {
        "child-src",
        "connect-src",
        "font-src",
        "frame-src",
        "img-src",
        "manifest-src",
        "media-src",
        "object-src",
        "prefetch-src",
        "script-src",
        "script-src-attr",
        "script-src-elem",
        "style-src",
        "style-src-attr",
        "style-src-elem",
        "worker-src",
    }
)
Sources = tuple[str, ...]
_UNRESTRICTED: Sources = ("*",)


def _has_nonce_or_hash(sources: Sources) -> bool:
    return any(source.startswith(_NONCE_OR_HASH_PREFIXES) for source in sources)


def _allows_inline(sources: Sources) -> bool:
    return "'unsafe-inline'" in sources and not _has_nonce_or_hash(sources)


def _allows_data(sources: Sources) -> bool:
    return "data:" in sources


def _has_broad(sources: Sources) -> bool:
    return any(source in BROAD_SOURCES for source in sources)


def _has_insecure_scheme(sources: Sources) -> bool:
    return any(source.startswith(("http:", "ftp:")) for source in sources)


def _has_eval(sources: Sources) -> bool:
    return "'unsafe-eval'" in sources


def _strict_dynamic_without_nonce(sources: Sources) -> bool:
    return "'strict-dynamic'" in sources and not _has_nonce_or_hash(sources)


def _effective_sources(policy: CspPolicy, directive: str) -> Sources | None:
    """The sources `policy` applies to `directive` (fetch directives fall back to default-src), None if none."""
    sources = policy.sources(directive)
    if sources is None and directive in _FETCH_DIRECTIVES:
        sources = policy.sources("default-src")
    if (
        directive == "script-src"
        and sources
        and "'strict-dynamic'" in sources
        and _has_nonce_or_hash(sources)
    ):
        # strict-dynamic with a nonce or hash makes browsers ignore host, 'self' and 'unsafe-inline' sources.
        sources = tuple(
            s for s in sources if s not in BROAD_SOURCES and s not in ("'self'", "'unsafe-inline'")
        )
    return sources


def _every_policy_allows(
    policies: Sequence[CspPolicy], directive: str, allows: Callable[[Sources], bool]
) -> bool:
    """True when every policy that restricts `directive` allows it; with none restricting, as if it were `*`.

    Browsers enforce each policy, so something is allowed only when no policy blocks it.
    """
    restricting = [s for policy in policies if (s := _effective_sources(policy, directive)) is not None]
    return all(allows(sources) for sources in restricting or [_UNRESTRICTED])


def _csp_test(facts: ResponseFacts, page: _Page) -> TestResult:
    header_policies = parse_csp_header_values(header_values(facts.headers, "Content-Security-Policy"))
    meta_policies = [
        parse_csp_policy(content) for content in page.meta("content-security-policy") if content.strip()
    ]
    policies = header_policies + meta_policies
    data = {
        "http": bool(header_policies),
        "meta": bool(meta_policies),
        "policies": [dict(policy.directives) for policy in policies],
    }
    name = TestName.CSP

    if any(
        not policy.valid or _strict_dynamic_without_nonce(_effective_sources(policy, "script-src") or ())
        for policy in policies
    ):
        return result_of(name, E.CSP_HEADER_INVALID, **data)
    if not policies:
        if header_values(facts.headers, "Content-Security-Policy-Report-Only"):
            return result_of(name, E.CSP_NOT_IMPLEMENTED_BUT_REPORTING_ENABLED, **data)
        return result_of(name, E.CSP_NOT_IMPLEMENTED, **data)

    def every(directive: str, allows: Callable[[Sources], bool]) -> bool:
        return _every_policy_allows(policies, directive, allows)

    https_page = _is_https(facts.url)
    named = {directive for policy in policies for directive in policy.directives}
    active = named - _PASSIVE_DIRECTIVES - _NON_SOURCE_DIRECTIVES
    if (
        every("script-src", _allows_inline)
        or every("script-src", _allows_data)
        or every("script-src", _has_broad)
        or every("object-src", _has_broad)
    ):
        expectation = E.CSP_UNSAFE_INLINE
    elif https_page and any(every(directive, _has_insecure_scheme) for directive in active):
        expectation = E.CSP_INSECURE_SCHEME
    elif every("script-src", _has_eval) or every("style-src", _has_eval):
        expectation = E.CSP_UNSAFE_EVAL
    elif https_page and (every("img-src", _has_insecure_scheme) or every("media-src", _has_insecure_scheme)):
        expectation = E.CSP_INSECURE_SCHEME_PASSIVE_ONLY
    elif (
        every("style-src", _allows_inline)
        or every("style-src", _allows_data)
        or every("style-src", _has_broad)
    ):
        expectation = E.CSP_UNSAFE_INLINE_STYLE_ONLY
    elif any(policy.sources("default-src") == ("'none'",) for policy in policies):
        expectation = E.CSP_DEFAULT_SRC_NONE
    else:
        expectation = E.CSP_NO_UNSAFE
    duplicated = sorted({directive for policy in policies for directive in policy.duplicated})
    if RULES[expectation].passes and duplicated:
        return result_of(
            name, E.CSP_DUPLICATE_DIRECTIVES, duplicated=duplicated, replaced=expectation.value, **data
        )
    return result_of(name, expectation, **data)


# ---------------------------------------------------------------------------------------------------------------
# Cookies

_COOKIE_PROBLEMS_WORST_LAST = (
    E.COOKIES_WITHOUT_SECURE_BUT_HSTS,
    E.COOKIES_WITHOUT_SECURE,
    E.COOKIES_SESSION_WITHOUT_SECURE_BUT_HSTS,
    E.COOKIES_SAMESITE_INVALID,
    E.COOKIES_ANTICSRF_WITHOUT_SAMESITE,
    E.COOKIES_SESSION_WITHOUT_HTTPONLY,
    E.COOKIES_SESSION_WITHOUT_SECURE,
)
# Heroku's router sets it on every response; the site cannot opt out.
_IGNORED_COOKIES = frozenset({"heroku-session-affinity"})


def _cookies_test(facts: ResponseFacts, *, hsts_passed: bool) -> TestResult:
    set_cookies = [*facts.other_set_cookies, *header_values(facts.headers, "Set-Cookie")]
    cookies = [cookie for cookie in parse_cookies(set_cookies) if cookie.name.lower() not in _IGNORED_COOKIES]
    name = TestName.COOKIES
    if not cookies:
        return result_of(name, E.COOKIES_NOT_FOUND)
    problems: dict[str, set[Expectation]] = {}
    for cookie in cookies:
        found = problems.setdefault(cookie.name, set())
        if not cookie.secure:
            found.add(E.COOKIES_WITHOUT_SECURE_BUT_HSTS if hsts_passed else E.COOKIES_WITHOUT_SECURE)
            if cookie.session_like:
                found.add(
                    E.COOKIES_SESSION_WITHOUT_SECURE_BUT_HSTS
                    if hsts_passed
                    else E.COOKIES_SESSION_WITHOUT_SECURE
                )
        if not cookie.samesite_valid:
            found.add(E.COOKIES_SAMESITE_INVALID)
        if cookie.csrf_like and cookie.samesite is None:
            found.add(E.COOKIES_ANTICSRF_WITHOUT_SAMESITE)
        if cookie.session_like and not cookie.httponly:
            found.add(E.COOKIES_SESSION_WITHOUT_HTTPONLY)
    data = {"cookies": {cookie_name: sorted(found) for cookie_name, found in problems.items()}}
    flagged = set().union(*problems.values())
    if flagged:
        return result_of(name, max(flagged, key=_COOKIE_PROBLEMS_WORST_LAST.index), **data)
    if all(cookie.samesite is not None for cookie in cookies):
        return result_of(name, E.COOKIES_SECURE_HTTPONLY_SAMESITE, **data)
    return result_of(name, E.COOKIES_SECURE_HTTPONLY, **data)


# ---------------------------------------------------------------------------------------------------------------
# CORS


def _cors_test(facts: ResponseFacts) -> TestResult:
    headers = facts.headers if facts.cors_preflight_headers is None else facts.cors_preflight_headers
    cors = cors_summary(headers, facts.cors_probe_origin or None)
    data = {"allow_origin": cors.allow_origin, "allow_credentials": cors.allow_credentials}
    if cors.allow_origin is None:
        return result_of(TestName.CORS, E.CORS_NOT_IMPLEMENTED, **data)
    if cors.credentialed_any_origin:
        return result_of(TestName.CORS, E.CORS_UNIVERSAL, **data)
    if cors.wildcard:
        return result_of(TestName.CORS, E.CORS_PUBLIC, **data)
    return result_of(TestName.CORS, E.CORS_RESTRICTED, **data)


# ---------------------------------------------------------------------------------------------------------------
# Redirection


def _redirection_test(facts: ResponseFacts) -> TestResult:
    name = TestName.REDIRECTION
    chain = facts.redirect_chain
    if not chain:
        return result_of(name, E.REDIRECTION_NO_HTTP)
    urls: list[str] = []
    for step in chain:
        urls.append((resolve_url(urls[-1], step.url) or step.url) if urls else step.url)
    data = {"route": urls, "statuses": [step.status for step in chain]}
    if not all(step.certificate_verified for step in chain):
        return result_of(name, E.REDIRECTION_INVALID_CERT, **data)
    if all(url_host(url) in facts.preloaded_hosts for url in urls):
        return result_of(name, E.REDIRECTION_ALL_PRELOADED, **data)
    if len(urls) == 1:
        return result_of(name, E.REDIRECTION_MISSING, **data)
    if not _is_https(urls[-1]):
        return result_of(name, E.REDIRECTION_NOT_TO_HTTPS, **data)
    first_hop = urls[1]
    if not _is_https(first_hop):
        return result_of(name, E.REDIRECTION_NOT_TO_HTTPS_INITIALLY, **data)
    if url_host(first_hop) != url_host(urls[0]):
        return result_of(name, E.REDIRECTION_OFF_HOST, **data)
    return result_of(name, E.REDIRECTION_TO_HTTPS, **data)


# ---------------------------------------------------------------------------------------------------------------
# Referrer-Policy


def _referrer_test(facts: ResponseFacts, page: _Page) -> TestResult:
    # The meta element comes after the header: it is what the document finally applies.
    values = [
        *header_values(facts.headers, "Referrer-Policy"),
        *page.meta("referrer-policy"),
        *page.meta_referrer,
    ]
    name = TestName.REFERRER_POLICY
    if not values:
        return result_of(name, E.REFERRER_NOT_IMPLEMENTED)
    policy = effective_referrer_policy(values)
    data = {"policy": policy, "values": [truncate(value) for value in values]}
    if policy is None:
        return result_of(name, E.REFERRER_INVALID, **data)
    if policy in SAFE_REFERRER_POLICIES:
        return result_of(name, E.REFERRER_PRIVATE, **data)
    return result_of(name, E.REFERRER_UNSAFE, **data)


# ---------------------------------------------------------------------------------------------------------------
# Strict-Transport-Security


def _hsts_test(facts: ResponseFacts) -> TestResult:
    name = TestName.HSTS
    if not _is_https(facts.url):
        return result_of(name, E.HSTS_NO_HTTPS)
    if url_host(facts.url) in facts.preloaded_hosts:
        return result_of(name, E.HSTS_PRELOADED)
    if not facts.https_certificate_verified:
        return result_of(name, E.HSTS_INVALID_CERT)
    hsts = parse_hsts(header_values(facts.headers, "Strict-Transport-Security"))
    if hsts is None:
        return result_of(name, E.HSTS_NOT_IMPLEMENTED)
    data = {"max_age": hsts.max_age, "include_subdomains": hsts.include_subdomains, "preload": hsts.preload}
    if not hsts.valid or hsts.max_age is None:
        return result_of(name, E.HSTS_INVALID, problem=hsts.problem, **data)
    if hsts.max_age >= HSTS_SIX_MONTHS_SECONDS:
        return result_of(name, E.HSTS_SIX_MONTHS, **data)
    return result_of(name, E.HSTS_SHORT, **data)


# ---------------------------------------------------------------------------------------------------------------
# Subresource Integrity

_SRI_FOREIGN_WORST_LAST = (
    E.SRI_EXTERNAL_SECURE,
    E.SRI_MISSING_EXTERNAL_SECURE,
    E.SRI_EXTERNAL_INSECURE,
    E.SRI_MISSING_EXTERNAL_INSECURE,
)


def _sri_test(facts: ResponseFacts, page: _Page) -> TestResult:
    name = TestName.SRI
    if not page.is_html:
        return result_of(name, E.SRI_NOT_HTML)
    if not page.parseable:
        return result_of(name, E.HTML_NOT_PARSEABLE)
    if not page.scripts:
        return result_of(name, E.SRI_NO_SCRIPTS)
    page_site = registrable_domain(url_host(facts.url))
    same_site_with_integrity = False
    foreign: dict[str, Expectation] = {}
    for script in page.scripts:
        src = (script.src or "").strip()
        parts = split_url(src)
        if parts is None:
            continue  # a URL that cannot be parsed loads nothing
        if src.startswith("//"):
            foreign[src] = E.SRI_EXTERNAL_INSECURE if script.integrity else E.SRI_MISSING_EXTERNAL_INSECURE
        elif parts.scheme.lower() in ("http", "https") and registrable_domain(url_host(src)) != page_site:
            secure = parts.scheme.lower() == "https"
            if script.integrity:
                foreign[src] = E.SRI_EXTERNAL_SECURE if secure else E.SRI_EXTERNAL_INSECURE
            else:
                foreign[src] = E.SRI_MISSING_EXTERNAL_SECURE if secure else E.SRI_MISSING_EXTERNAL_INSECURE
        elif script.src is not None and script.integrity and _is_https(resolve_url(facts.url, src) or ""):
            same_site_with_integrity = True
    data = {"foreign_scripts": {src: result.value for src, result in foreign.items()}}
    worst = max(foreign.values(), key=_SRI_FOREIGN_WORST_LAST.index, default=None)
    if worst is not None and worst is not E.SRI_EXTERNAL_SECURE:
        return result_of(name, worst, **data)
    if same_site_with_integrity:
        return result_of(name, E.SRI_ALL_SECURE, **data)
    if worst is E.SRI_EXTERNAL_SECURE:
        return result_of(name, E.SRI_EXTERNAL_SECURE, **data)
    return result_of(name, E.SRI_SAME_SITE_ONLY, **data)


# ---------------------------------------------------------------------------------------------------------------
# Single-header tests


def _content_type_options_test(facts: ResponseFacts) -> TestResult:
    values = header_values(facts.headers, "X-Content-Type-Options")
    name = TestName.X_CONTENT_TYPE_OPTIONS
    if not values:
        return result_of(name, E.XCTO_NOT_IMPLEMENTED)
    data = {"value": truncate(", ".join(values))}
    if single_token(values) == "nosniff":
        return result_of(name, E.XCTO_NOSNIFF, **data)
    return result_of(name, E.XCTO_INVALID, **data)


def _frame_options_test(facts: ResponseFacts) -> TestResult:
    name = TestName.X_FRAME_OPTIONS
    # frame-ancestors is ignored in <meta> CSP, so only the header counts.
    header_policies = parse_csp_header_values(header_values(facts.headers, "Content-Security-Policy"))
    if any(policy.valid and "frame-ancestors" in policy.directives for policy in header_policies):
        return result_of(name, E.XFO_VIA_CSP)
    values = header_values(facts.headers, "X-Frame-Options")
    if not values:
        return result_of(name, E.XFO_NOT_IMPLEMENTED)
    token = single_token(values)
    data = {"value": truncate(", ".join(values))}
    if token in ("deny", "sameorigin"):
        return result_of(name, E.XFO_SAMEORIGIN_OR_DENY, **data)
    if token is not None and token.startswith("allow-from"):
        return result_of(name, E.XFO_ALLOW_FROM, **data)
    return result_of(name, E.XFO_INVALID, **data)


def _corp_test(facts: ResponseFacts, page: _Page) -> TestResult:
    values = header_values(facts.headers, "Cross-Origin-Resource-Policy")
    meta_values = page.meta("cross-origin-resource-policy")
    value = ", ".join(values) if values else (meta_values[-1] if meta_values else None)
    outcomes = {
        "same-origin": E.CORP_SAME_ORIGIN,
        "same-site": E.CORP_SAME_SITE,
        "cross-origin": E.CORP_CROSS_ORIGIN,
    }
    if value is None:
        return result_of(TestName.CORP, E.CORP_NOT_IMPLEMENTED)
    expectation = outcomes.get(value.strip().lower(), E.CORP_INVALID)
    return result_of(TestName.CORP, expectation, value=truncate(value), meta=not values)


def _structured_token_test(
    facts: ResponseFacts,
    name: TestName,
    header: str,
    outcomes: dict[str, Expectation],
    absent: Expectation,
    invalid: Expectation,
) -> TestResult:
    values = header_values(facts.headers, header)
    if not values:
        return result_of(name, absent)
    token = structured_token(values)
    data = {"value": truncate(", ".join(values))}
    return result_of(name, outcomes.get(token or "", invalid), **data)


def _coop_test(facts: ResponseFacts) -> TestResult:
    outcomes = {
        "same-origin": E.COOP_SAME_ORIGIN,
        "same-origin-allow-popups": E.COOP_SAME_ORIGIN_ALLOW_POPUPS,
        "noopener-allow-popups": E.COOP_NOOPENER_ALLOW_POPUPS,
        "unsafe-none": E.COOP_UNSAFE_NONE,
    }
    return _structured_token_test(
        facts, TestName.COOP, "Cross-Origin-Opener-Policy", outcomes, E.COOP_NOT_IMPLEMENTED, E.COOP_INVALID
    )


def _coep_test(facts: ResponseFacts) -> TestResult:
    outcomes = {
        "require-corp": E.COEP_REQUIRE_CORP,
        "credentialless": E.COEP_CREDENTIALLESS,
        "unsafe-none": E.COEP_UNSAFE_NONE,
    }
    return _structured_token_test(
        facts, TestName.COEP, "Cross-Origin-Embedder-Policy", outcomes, E.COEP_NOT_IMPLEMENTED, E.COEP_INVALID
    )
