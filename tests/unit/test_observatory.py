"""Observatory scoring: every expectation of every test, the score arithmetic and the grade table."""

from __future__ import annotations

from dataclasses import replace

import pytest

from techscaniq.evidence import observatory
from techscaniq.evidence.observatory import (
    RULES,
    Expectation,
    ObservatoryResult,
    RedirectStep,
    ResponseFacts,
    grade_for,
    score_observatory,
    total_score,
)

E = Expectation
T = observatory.TestName
ONE_YEAR = "max-age=31536000"
HTTPS_CHAIN = (RedirectStep("http://example.com/", 301), RedirectStep("https://example.com/", 200))
PROBE_ORIGIN = "https://probe.techscaniq.test"


def page(
    *headers: tuple[str, str],
    html: str = "<html><head></head><body>hello</body></html>",
    url: str = "https://example.com/",
    content_type: str | None = "text/html; charset=utf-8",
    **fields: object,
) -> ResponseFacts:
    """An https page answering 200 after a clean http redirect, with `headers` and nothing else."""
    all_headers = ((("Content-Type", content_type),) if content_type else ()) + headers
    facts = ResponseFacts(
        url=url,
        status=200,
        headers=all_headers,
        html=html,
        redirect_chain=HTTPS_CHAIN,
        cors_probe_origin=PROBE_ORIGIN,
    )
    return replace(facts, **fields)


def neutral(*headers: tuple[str, str], **fields: object) -> ResponseFacts:
    """A page that passes every test with a zero modifier except CSP and X-Frame-Options, plus `headers`."""
    base = (("Strict-Transport-Security", ONE_YEAR), ("X-Content-Type-Options", "nosniff"))
    return page(*base, *headers, **fields)


def outcome(facts: ResponseFacts, name: T) -> Expectation:
    """The expectation the test `name` yields for `facts`."""
    return next(test.result for test in score_observatory(facts).tests if test.name is name)


def csp(value: str, **fields: object) -> ResponseFacts:
    return page(("Content-Security-Policy", value), **fields)


def cookies(*set_cookies: str, hsts: bool = False) -> ResponseFacts:
    headers = [("Set-Cookie", value) for value in set_cookies]
    if hsts:
        headers.append(("Strict-Transport-Security", ONE_YEAR))
    return page(*headers)


def chain(*steps: tuple[str, int], **fields: object) -> ResponseFacts:
    return page(redirect_chain=tuple(RedirectStep(url, status) for url, status in steps), **fields)


def scripts(html_body: str, url: str = "https://www.example.com/") -> ResponseFacts:
    return page(html=f"<html><head>{html_body}</head><body></body></html>", url=url)


CASES: list[tuple[str, T, ResponseFacts, Expectation]] = [
    # Content-Security-Policy
    ("csp bad characters", T.CSP, csp("default-src 'self' caf\u00e9.example"), E.CSP_HEADER_INVALID),
    ("csp empty header", T.CSP, csp("  "), E.CSP_HEADER_INVALID),
    (
        "csp strict-dynamic alone",
        T.CSP,
        csp("script-src 'strict-dynamic'; object-src 'none'"),
        E.CSP_HEADER_INVALID,
    ),
    (
        "csp bad meta policy",
        T.CSP,
        page(html='<meta http-equiv="Content-Security-Policy" content="default-src \'self\' \x01">'),
        E.CSP_HEADER_INVALID,
    ),
    (
        "csp report-only",
        T.CSP,
        page(("Content-Security-Policy-Report-Only", "default-src 'none'")),
        E.CSP_NOT_IMPLEMENTED_BUT_REPORTING_ENABLED,
    ),
    ("csp absent", T.CSP, page(), E.CSP_NOT_IMPLEMENTED),
    (
        "csp inline script",
        T.CSP,
        csp("default-src 'self'; script-src 'self' 'unsafe-inline'"),
        E.CSP_UNSAFE_INLINE,
    ),
    ("csp data script", T.CSP, csp("default-src 'self'; script-src 'self' data:"), E.CSP_UNSAFE_INLINE),
    ("csp broad script", T.CSP, csp("default-src 'self'; script-src https:"), E.CSP_UNSAFE_INLINE),
    ("csp object unrestricted", T.CSP, csp("script-src 'self'"), E.CSP_UNSAFE_INLINE),
    ("csp broad object", T.CSP, csp("default-src 'self'; object-src *"), E.CSP_UNSAFE_INLINE),
    ("csp broad default", T.CSP, csp("default-src https://*"), E.CSP_UNSAFE_INLINE),
    (
        "csp http connect",
        T.CSP,
        csp("default-src 'self'; connect-src http://api.example.com"),
        E.CSP_INSECURE_SCHEME,
    ),
    ("csp ftp form-action", T.CSP, csp("default-src 'self'; form-action ftp:"), E.CSP_INSECURE_SCHEME),
    (
        "csp eval in script",
        T.CSP,
        csp("default-src 'self'; script-src 'self' 'unsafe-eval'"),
        E.CSP_UNSAFE_EVAL,
    ),
    (
        "csp eval in style",
        T.CSP,
        csp("default-src 'self'; style-src 'self' 'unsafe-eval'"),
        E.CSP_UNSAFE_EVAL,
    ),
    (
        "csp http images",
        T.CSP,
        csp("default-src 'self'; img-src 'self' http:"),
        E.CSP_INSECURE_SCHEME_PASSIVE_ONLY,
    ),
    (
        "csp ftp media",
        T.CSP,
        csp("default-src 'self'; media-src ftp://media.example.com"),
        E.CSP_INSECURE_SCHEME_PASSIVE_ONLY,
    ),
    (
        "csp inline style",
        T.CSP,
        csp("default-src 'self'; style-src 'self' 'unsafe-inline'"),
        E.CSP_UNSAFE_INLINE_STYLE_ONLY,
    ),
    (
        "csp style unrestricted",
        T.CSP,
        csp("script-src 'self'; object-src 'none'"),
        E.CSP_UNSAFE_INLINE_STYLE_ONLY,
    ),
    (
        "csp default none",
        T.CSP,
        csp("default-src 'none'; script-src 'self'; style-src 'self'"),
        E.CSP_DEFAULT_SRC_NONE,
    ),
    ("csp no unsafe", T.CSP, csp("default-src 'self'"), E.CSP_NO_UNSAFE),
    (
        "csp duplicate directive",
        T.CSP,
        csp("default-src 'self'; script-src 'self'; script-src 'unsafe-inline'"),
        E.CSP_DUPLICATE_DIRECTIVES,
    ),
    # Cookies
    ("no cookies", T.COOKIES, cookies(), E.COOKIES_NOT_FOUND),
    ("heroku cookie ignored", T.COOKIES, cookies("heroku-session-affinity=abc; Path=/"), E.COOKIES_NOT_FOUND),
    (
        "cookies all good",
        T.COOKIES,
        cookies("id=1; Secure; HttpOnly; SameSite=Lax", "theme=dark; Secure; SameSite=Strict"),
        E.COOKIES_SECURE_HTTPONLY_SAMESITE,
    ),
    ("cookies without samesite", T.COOKIES, cookies("id=1; Secure; HttpOnly"), E.COOKIES_SECURE_HTTPONLY),
    (
        "cookie without secure, hsts",
        T.COOKIES,
        cookies("theme=dark; SameSite=Lax", hsts=True),
        E.COOKIES_WITHOUT_SECURE_BUT_HSTS,
    ),
    ("cookie without secure", T.COOKIES, cookies("theme=dark; SameSite=Lax"), E.COOKIES_WITHOUT_SECURE),
    (
        "session without secure, hsts",
        T.COOKIES,
        cookies("sessionid=1; HttpOnly; SameSite=Lax", hsts=True),
        E.COOKIES_SESSION_WITHOUT_SECURE_BUT_HSTS,
    ),
    ("samesite unknown", T.COOKIES, cookies("id=1; Secure; SameSite=bogus"), E.COOKIES_SAMESITE_INVALID),
    ("samesite empty", T.COOKIES, cookies("id=1; Secure; SameSite"), E.COOKIES_SAMESITE_INVALID),
    ("samesite none insecure", T.COOKIES, cookies("id=1; SameSite=None"), E.COOKIES_SAMESITE_INVALID),
    ("csrf without samesite", T.COOKIES, cookies("csrftoken=1; Secure"), E.COOKIES_ANTICSRF_WITHOUT_SAMESITE),
    (
        "session without httponly",
        T.COOKIES,
        cookies("sessionid=1; Secure; SameSite=Lax"),
        E.COOKIES_SESSION_WITHOUT_HTTPONLY,
    ),
    (
        "login without httponly",
        T.COOKIES,
        cookies("LoginToken=1; Secure; SameSite=Lax"),
        E.COOKIES_SESSION_WITHOUT_HTTPONLY,
    ),
    ("session without secure", T.COOKIES, cookies("PHPSESSID=1; HttpOnly"), E.COOKIES_SESSION_WITHOUT_SECURE),
    (
        "worst cookie wins",
        T.COOKIES,
        cookies("theme=dark", "csrf=1; Secure", "sess=1; Secure; SameSite=Lax", "id=1; Secure; SameSite=x"),
        E.COOKIES_SESSION_WITHOUT_HTTPONLY,
    ),
    (
        "cookie from another response",
        T.COOKIES,
        page(other_set_cookies=("sessionid=1; HttpOnly",)),
        E.COOKIES_SESSION_WITHOUT_SECURE,
    ),
    # CORS
    ("cors absent", T.CORS, page(), E.CORS_NOT_IMPLEMENTED),
    (
        "cors public",
        T.CORS,
        page(cors_preflight_headers=(("Access-Control-Allow-Origin", "*"),)),
        E.CORS_PUBLIC,
    ),
    (
        "cors public with credentials",
        T.CORS,
        page(
            cors_preflight_headers=(
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true"),
            )
        ),
        E.CORS_PUBLIC,
    ),
    (
        "cors restricted",
        T.CORS,
        page(cors_preflight_headers=(("Access-Control-Allow-Origin", "https://partner.example"),)),
        E.CORS_RESTRICTED,
    ),
    (
        "cors echo without credentials",
        T.CORS,
        page(cors_preflight_headers=(("Access-Control-Allow-Origin", PROBE_ORIGIN),)),
        E.CORS_RESTRICTED,
    ),
    (
        "cors universal",
        T.CORS,
        page(
            cors_preflight_headers=(
                ("Access-Control-Allow-Origin", PROBE_ORIGIN),
                ("Access-Control-Allow-Credentials", "TRUE"),
            )
        ),
        E.CORS_UNIVERSAL,
    ),
    ("cors from auto headers", T.CORS, page(("Access-Control-Allow-Origin", "*")), E.CORS_PUBLIC),
    # Redirection
    ("http silent", T.REDIRECTION, page(redirect_chain=()), E.REDIRECTION_NO_HTTP),
    (
        "hop with bad certificate",
        T.REDIRECTION,
        page(
            redirect_chain=(
                RedirectStep("http://example.com/", 301),
                RedirectStep("https://example.com/", 200, certificate_verified=False),
            )
        ),
        E.REDIRECTION_INVALID_CERT,
    ),
    (
        "all preloaded",
        T.REDIRECTION,
        chain(("http://example.com/", 200), preloaded_hosts=frozenset({"example.com"})),
        E.REDIRECTION_ALL_PRELOADED,
    ),
    ("no redirect", T.REDIRECTION, chain(("http://example.com/", 200)), E.REDIRECTION_MISSING),
    (
        "ends on http",
        T.REDIRECTION,
        chain(("http://example.com/", 301), ("http://www.example.com/", 200)),
        E.REDIRECTION_NOT_TO_HTTPS,
    ),
    (
        "first hop http",
        T.REDIRECTION,
        chain(
            ("http://example.com/", 301), ("http://www.example.com/", 301), ("https://www.example.com/", 200)
        ),
        E.REDIRECTION_NOT_TO_HTTPS_INITIALLY,
    ),
    (
        "first hop off host",
        T.REDIRECTION,
        chain(("http://example.com/", 301), ("https://www.example.com/", 200)),
        E.REDIRECTION_OFF_HOST,
    ),
    ("to https", T.REDIRECTION, page(), E.REDIRECTION_TO_HTTPS),
    (
        "relative hop resolved",
        T.REDIRECTION,
        chain(("http://example.com/", 301), ("https://example.com/a", 302), ("/b", 200)),
        E.REDIRECTION_TO_HTTPS,
    ),
    # Referrer-Policy
    ("referrer private", T.REFERRER_POLICY, page(("Referrer-Policy", "no-referrer")), E.REFERRER_PRIVATE),
    ("referrer absent", T.REFERRER_POLICY, page(), E.REFERRER_NOT_IMPLEMENTED),
    ("referrer unsafe", T.REFERRER_POLICY, page(("Referrer-Policy", "unsafe-url")), E.REFERRER_UNSAFE),
    ("referrer invalid", T.REFERRER_POLICY, page(("Referrer-Policy", "bogus")), E.REFERRER_INVALID),
    ("referrer empty", T.REFERRER_POLICY, page(("Referrer-Policy", "")), E.REFERRER_INVALID),
    (
        "referrer last valid token",
        T.REFERRER_POLICY,
        page(("Referrer-Policy", "unsafe-url, strict-origin-when-cross-origin, made-up")),
        E.REFERRER_PRIVATE,
    ),
    (
        "referrer meta overrides header",
        T.REFERRER_POLICY,
        page(("Referrer-Policy", "no-referrer"), html='<meta name="referrer" content="origin">'),
        E.REFERRER_UNSAFE,
    ),
    (
        "referrer meta http-equiv",
        T.REFERRER_POLICY,
        page(html='<meta http-equiv="Referrer-Policy" content="same-origin">'),
        E.REFERRER_PRIVATE,
    ),
    # Strict-Transport-Security
    ("hsts preloaded", T.HSTS, page(preloaded_hosts=frozenset({"example.com"})), E.HSTS_PRELOADED),
    ("hsts six months", T.HSTS, page(("Strict-Transport-Security", "max-age=15552000")), E.HSTS_SIX_MONTHS),
    (
        "hsts quoted with options",
        T.HSTS,
        page(("Strict-Transport-Security", 'max-age="31536000"; includeSubDomains; preload')),
        E.HSTS_SIX_MONTHS,
    ),
    ("hsts short", T.HSTS, page(("Strict-Transport-Security", "max-age=15551999")), E.HSTS_SHORT),
    ("hsts absent", T.HSTS, page(), E.HSTS_NOT_IMPLEMENTED),
    (
        "hsts without max-age",
        T.HSTS,
        page(("Strict-Transport-Security", "includeSubDomains")),
        E.HSTS_INVALID,
    ),
    ("hsts garbage max-age", T.HSTS, page(("Strict-Transport-Security", "max-age=forever")), E.HSTS_INVALID),
    (
        "hsts set twice",
        T.HSTS,
        page(("Strict-Transport-Security", ONE_YEAR), ("Strict-Transport-Security", ONE_YEAR)),
        E.HSTS_INVALID,
    ),
    (
        "hsts max-age past 1024 characters",
        T.HSTS,
        page(("Strict-Transport-Security", "x" * 1030 + "; " + ONE_YEAR)),
        E.HSTS_INVALID,
    ),
    (
        "no https",
        T.HSTS,
        page(("Strict-Transport-Security", ONE_YEAR), url="http://example.com/"),
        E.HSTS_NO_HTTPS,
    ),
    (
        "hsts bad certificate",
        T.HSTS,
        page(("Strict-Transport-Security", ONE_YEAR), https_certificate_verified=False),
        E.HSTS_INVALID_CERT,
    ),
    # Subresource Integrity
    ("not html", T.SRI, page(content_type="application/json", html='{"a": 1}'), E.SRI_NOT_HTML),
    ("no scripts", T.SRI, scripts(""), E.SRI_NO_SCRIPTS),
    (
        "same-origin script with integrity",
        T.SRI,
        scripts('<script src="/app.js" integrity="sha384-abc"></script>'),
        E.SRI_ALL_SECURE,
    ),
    (
        "foreign scripts with integrity",
        T.SRI,
        scripts(
            '<script src="https://cdn.jsdelivr.net/x.js" integrity="sha384-abc"></script><script>1</script>'
        ),
        E.SRI_EXTERNAL_SECURE,
    ),
    (
        "same-site scripts only",
        T.SRI,
        scripts('<script src="/app.js"></script><script src="https://static.example.com/v.js"></script>'),
        E.SRI_SAME_SITE_ONLY,
    ),
    ("inline script only", T.SRI, scripts("<script>console.log(1)</script>"), E.SRI_SAME_SITE_ONLY),
    (
        "foreign https without integrity",
        T.SRI,
        scripts('<script src="https://cdn.jsdelivr.net/x.js"></script>'),
        E.SRI_MISSING_EXTERNAL_SECURE,
    ),
    (
        "foreign http with integrity",
        T.SRI,
        scripts('<script src="http://cdn.jsdelivr.net/x.js" integrity="sha384-abc"></script>'),
        E.SRI_EXTERNAL_INSECURE,
    ),
    (
        "protocol-relative with integrity",
        T.SRI,
        scripts('<script src="//static.example.com/x.js" integrity="sha384-abc"></script>'),
        E.SRI_EXTERNAL_INSECURE,
    ),
    (
        "foreign http without integrity",
        T.SRI,
        scripts(
            '<script src="https://cdn.jsdelivr.net/a.js" integrity="sha384-a"></script>'
            '<script src="http://evil.example.net/x.js"></script>'
        ),
        E.SRI_MISSING_EXTERNAL_INSECURE,
    ),
    (
        "public suffix is not one site",
        T.SRI,
        scripts('<script src="https://other.co.uk/x.js"></script>', url="https://www.shop.co.uk/"),
        E.SRI_MISSING_EXTERNAL_SECURE,
    ),
    # X-Content-Type-Options
    ("nosniff", T.X_CONTENT_TYPE_OPTIONS, page(("X-Content-Type-Options", " NoSniff ")), E.XCTO_NOSNIFF),
    ("xcto absent", T.X_CONTENT_TYPE_OPTIONS, page(), E.XCTO_NOT_IMPLEMENTED),
    (
        "xcto invalid",
        T.X_CONTENT_TYPE_OPTIONS,
        page(("X-Content-Type-Options", "nosniff; x")),
        E.XCTO_INVALID,
    ),
    # X-Frame-Options
    (
        "frame-ancestors",
        T.X_FRAME_OPTIONS,
        page(("Content-Security-Policy", "frame-ancestors 'none'"), ("X-Frame-Options", "garbage")),
        E.XFO_VIA_CSP,
    ),
    ("xfo deny", T.X_FRAME_OPTIONS, page(("X-Frame-Options", "DENY")), E.XFO_SAMEORIGIN_OR_DENY),
    (
        "xfo sameorigin twice",
        T.X_FRAME_OPTIONS,
        page(("X-Frame-Options", "sameorigin, SAMEORIGIN")),
        E.XFO_SAMEORIGIN_OR_DENY,
    ),
    (
        "xfo allow-from",
        T.X_FRAME_OPTIONS,
        page(("X-Frame-Options", "ALLOW-FROM https://a.example")),
        E.XFO_ALLOW_FROM,
    ),
    ("xfo absent", T.X_FRAME_OPTIONS, page(), E.XFO_NOT_IMPLEMENTED),
    (
        "frame-ancestors in meta does not count",
        T.X_FRAME_OPTIONS,
        page(html='<meta http-equiv="content-security-policy" content="frame-ancestors \'none\'">'),
        E.XFO_NOT_IMPLEMENTED,
    ),
    ("xfo conflicting", T.X_FRAME_OPTIONS, page(("X-Frame-Options", "DENY, SAMEORIGIN")), E.XFO_INVALID),
    # Cross-Origin-Resource-Policy
    ("corp same-origin", T.CORP, page(("Cross-Origin-Resource-Policy", "same-origin")), E.CORP_SAME_ORIGIN),
    ("corp same-site", T.CORP, page(("Cross-Origin-Resource-Policy", "Same-Site")), E.CORP_SAME_SITE),
    (
        "corp cross-origin",
        T.CORP,
        page(("Cross-Origin-Resource-Policy", "cross-origin")),
        E.CORP_CROSS_ORIGIN,
    ),
    ("corp absent", T.CORP, page(), E.CORP_NOT_IMPLEMENTED),
    (
        "corp invalid",
        T.CORP,
        page(("Cross-Origin-Resource-Policy", "same-origin, same-site")),
        E.CORP_INVALID,
    ),
    (
        "corp from last meta",
        T.CORP,
        page(
            html='<meta http-equiv="Cross-Origin-Resource-Policy" content="bogus">'
            '<meta http-equiv="Cross-Origin-Resource-Policy" content="same-site">'
        ),
        E.CORP_SAME_SITE,
    ),
    # Cross-Origin-Opener-Policy
    ("coop same-origin", T.COOP, page(("Cross-Origin-Opener-Policy", "same-origin")), E.COOP_SAME_ORIGIN),
    (
        "coop allow popups with report-to",
        T.COOP,
        page(("Cross-Origin-Opener-Policy", 'same-origin-allow-popups; report-to="coop"')),
        E.COOP_SAME_ORIGIN_ALLOW_POPUPS,
    ),
    (
        "coop noopener",
        T.COOP,
        page(("Cross-Origin-Opener-Policy", "noopener-allow-popups")),
        E.COOP_NOOPENER_ALLOW_POPUPS,
    ),
    ("coop unsafe-none", T.COOP, page(("Cross-Origin-Opener-Policy", "unsafe-none")), E.COOP_UNSAFE_NONE),
    ("coop absent", T.COOP, page(), E.COOP_NOT_IMPLEMENTED),
    ("coop bogus", T.COOP, page(("Cross-Origin-Opener-Policy", "strict")), E.COOP_INVALID),
    (
        "coop twice",
        T.COOP,
        page(("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")),
        E.COOP_INVALID,
    ),
    # Cross-Origin-Embedder-Policy
    (
        "coep require-corp",
        T.COEP,
        page(("Cross-Origin-Embedder-Policy", "require-corp")),
        E.COEP_REQUIRE_CORP,
    ),
    (
        "coep credentialless",
        T.COEP,
        page(("Cross-Origin-Embedder-Policy", "credentialless")),
        E.COEP_CREDENTIALLESS,
    ),
    ("coep unsafe-none", T.COEP, page(("Cross-Origin-Embedder-Policy", "unsafe-none")), E.COEP_UNSAFE_NONE),
    ("coep absent", T.COEP, page(), E.COEP_NOT_IMPLEMENTED),
    ("coep empty", T.COEP, page(("Cross-Origin-Embedder-Policy", "")), E.COEP_INVALID),
    (
        "coep twice",
        T.COEP,
        page(
            ("Cross-Origin-Embedder-Policy", "require-corp"),
            ("Cross-Origin-Embedder-Policy", "credentialless"),
        ),
        E.COEP_INVALID,
    ),
]


@pytest.mark.parametrize(
    ("name", "facts", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_expectation(name: T, facts: ResponseFacts, expected: Expectation) -> None:
    assert outcome(facts, name) is expected


def test_cases_cover_all_77_expectations() -> None:
    covered = {case[3] for case in CASES} | {E.HTML_NOT_PARSEABLE}
    assert len(Expectation) == 77
    assert covered == set(Expectation)
    assert set(RULES) == set(Expectation)


def test_unparseable_html(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(html: str) -> None:
        raise RuntimeError("parser failure")

    monkeypatch.setattr(observatory, "LexborHTMLParser", refuse)
    assert outcome(page(), T.SRI) is E.HTML_NOT_PARSEABLE


def test_result_carries_rule() -> None:
    test = next(t for t in score_observatory(page()).tests if t.name is T.CSP)
    assert (test.score_modifier, test.passed) == (-25, False)
    assert test.description == RULES[E.CSP_NOT_IMPLEMENTED].description


# --- CSP parsing details ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("default-src 'self'; script-src 'self' 'unsafe-inline' 'nonce-r4nd0m'", E.CSP_NO_UNSAFE),
        ("default-src 'self'; script-src 'unsafe-inline' 'sha256-abc='", E.CSP_NO_UNSAFE),
        ("default-src 'self'; style-src 'unsafe-inline' 'nonce-abc'", E.CSP_NO_UNSAFE),
        (
            "object-src 'none'; base-uri 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline' https: 'self'",
            E.CSP_UNSAFE_INLINE_STYLE_ONLY,
        ),
        (
            "default-src 'self'; script-src 'strict-dynamic' 'sha384-abc' https: 'unsafe-inline'; object-src 'none'",
            E.CSP_NO_UNSAFE,
        ),
        ("DEFAULT-SRC 'SELF'; Script-Src 'Self' 'Unsafe-Inline'", E.CSP_UNSAFE_INLINE),
        ("default-src 'self'; report-uri http://reports.example.com/csp", E.CSP_NO_UNSAFE),
        ("default-src 'self'; upgrade-insecure-requests;;", E.CSP_NO_UNSAFE),
        ("default-src 'none' 'self'", E.CSP_NO_UNSAFE),
        ("default-src 'self'; script-src;", E.CSP_NO_UNSAFE),
    ],
)
def test_csp_policy_details(policy: str, expected: Expectation) -> None:
    assert outcome(csp(policy), T.CSP) is expected


def test_insecure_scheme_only_matters_on_https() -> None:
    facts = csp("default-src 'self'; connect-src http://api.example.com", url="http://example.com/")
    assert outcome(facts, T.CSP) is E.CSP_NO_UNSAFE


def test_multiple_csp_headers_are_all_enforced() -> None:
    # Browsers enforce both policies, so the second one blocks the inline script the first allows.
    facts = page(
        ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"),
        ("Content-Security-Policy", "script-src 'self'"),
    )
    assert outcome(facts, T.CSP) is E.CSP_NO_UNSAFE


def test_comma_separates_policies_in_one_header() -> None:
    facts = csp("default-src 'self'; script-src 'self' 'unsafe-inline', script-src 'self'")
    assert outcome(facts, T.CSP) is E.CSP_NO_UNSAFE
    both_unsafe = csp("default-src 'self'; script-src 'unsafe-inline', script-src * 'unsafe-inline'")
    assert outcome(both_unsafe, T.CSP) is E.CSP_UNSAFE_INLINE


def test_header_and_meta_policies_combine() -> None:
    meta = '<meta http-equiv="Content-Security-Policy" content="script-src \'self\'">'
    facts = page(("Content-Security-Policy", "default-src 'self'; script-src *"), html=meta)
    result = next(t for t in score_observatory(facts).tests if t.name is T.CSP)
    assert result.result is E.CSP_NO_UNSAFE
    assert result.data["http"] and result.data["meta"]


def test_meta_only_policy_is_enforced() -> None:
    meta = '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
    assert outcome(page(html=meta), T.CSP) is E.CSP_NO_UNSAFE


def test_meta_ignored_when_response_is_not_html() -> None:
    meta = '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
    assert outcome(page(html=meta, content_type="text/plain"), T.CSP) is E.CSP_NOT_IMPLEMENTED


def test_duplicate_does_not_rescue_a_failing_policy() -> None:
    facts = csp("script-src 'unsafe-inline'; script-src 'self'; object-src 'none'")
    assert outcome(facts, T.CSP) is E.CSP_UNSAFE_INLINE


def test_duplicate_replaces_default_none_bonus() -> None:
    result = next(
        t for t in score_observatory(csp("default-src 'none'; default-src 'self'")).tests if t.name is T.CSP
    )
    assert result.result is E.CSP_DUPLICATE_DIRECTIVES
    assert result.data["replaced"] == E.CSP_DEFAULT_SRC_NONE.value
    assert result.score_modifier == 0


def test_huge_csp_header() -> None:
    huge = "default-src 'self'; img-src " + " ".join(f"https://img{i}.example.com" for i in range(20_000))
    assert outcome(csp(huge), T.CSP) is E.CSP_NO_UNSAFE


# --- score arithmetic and grades ----------------------------------------------------------------------------

MAX_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    ),
    ("Set-Cookie", "__Host-session=1; Secure; HttpOnly; SameSite=Strict; Path=/"),
    ("Referrer-Policy", "no-referrer"),
    ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
)


def test_maximum_score_page() -> None:
    html = '<html><head><script src="/app.js" integrity="sha384-abc"></script></head></html>'
    facts = page(*MAX_HEADERS, html=html, preloaded_hosts=frozenset({"example.com"}))
    result = score_observatory(facts)
    assert result.score == 165
    assert result.grade == "A+"
    assert (result.tests_passed, result.tests_failed) == (12, 0)
    assert len(result.tests) == 12


def test_worst_page_scores_zero() -> None:
    html = '<html><head><script src="http://evil.example.net/x.js"></script></head></html>'
    facts = ResponseFacts(
        url="http://example.com/",
        status=200,
        headers=(
            ("Content-Type", "text/html"),
            ("Set-Cookie", "sessionid=1"),
            ("Referrer-Policy", "unsafe-url"),
            ("X-Content-Type-Options", "sniff"),
            ("X-Frame-Options", "ALLOWALL"),
            ("Cross-Origin-Resource-Policy", "nope"),
            ("Cross-Origin-Opener-Policy", "nope"),
            ("Cross-Origin-Embedder-Policy", "nope"),
        ),
        html=html,
        redirect_chain=(RedirectStep("http://example.com/", 200),),
        cors_preflight_headers=(
            ("Access-Control-Allow-Origin", PROBE_ORIGIN),
            ("Access-Control-Allow-Credentials", "true"),
        ),
        cors_probe_origin=PROBE_ORIGIN,
    )
    result = score_observatory(facts)
    assert [t.score_modifier for t in result.tests] == [-25, -40, -50, -20, -5, -20, -50, -5, -20, -5, -5, -5]
    assert result.score == 0
    assert result.grade == "F"
    assert (result.tests_passed, result.tests_failed) == (0, 12)


def test_worked_example_no_csp_no_xfo() -> None:
    result = score_observatory(neutral())
    assert (result.score, result.grade) == (55, "C")


def test_worked_example_bonuses_lost_below_90() -> None:
    facts = neutral(
        ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
    )
    result = score_observatory(facts)
    assert (result.score, result.grade) == (80, "B+")


def test_worked_example_a_plus() -> None:
    facts = neutral(
        ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'self'"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Set-Cookie", "sid=1; Secure; HttpOnly; SameSite=Lax"),
        html='<html><head><script src="/app.js"></script></head></html>',
    )
    result = score_observatory(facts)
    assert (result.score, result.grade) == (120, "A+")


@pytest.mark.parametrize(
    ("modifiers", "expected"),
    [
        ([], 100),
        ([-10, 5, 10], 105),  # penalties alone leave exactly 90: bonuses count
        ([-15, 5, 10], 85),  # 85 < 90: bonuses ignored
        ([-25, -20, -50, -50, -50, 10], 0),  # floored at 0
        ([10, 10, 10, 10, 5, 5, 5, 5, 5], 165),  # no upper cap
    ],
)
def test_total_score(modifiers: list[int], expected: int) -> None:
    assert total_score(modifiers) == expected


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (165, "A+"), (100, "A+"), (99, "A"), (95, "A"), (90, "A"), (89, "A-"), (85, "A-"),
        (84, "B+"), (80, "B+"), (79, "B"), (75, "B"), (70, "B"), (69, "B-"), (65, "B-"),
        (64, "C+"), (60, "C+"), (59, "C"), (55, "C"), (50, "C"), (49, "C-"), (45, "C-"),
        (44, "D+"), (40, "D+"), (39, "D"), (35, "D"), (30, "D"), (29, "D-"), (25, "D-"),
        (24, "F"), (20, "F"), (0, "F"),
    ],
)  # fmt: skip
def test_grade_boundaries(score: int, grade: str) -> None:
    assert grade_for(score) == grade


@pytest.mark.parametrize("status", [200, 204, 301, 304, 401, 403])
def test_scorable_statuses(status: int) -> None:
    assert score_observatory(replace(neutral(), status=status)).score == 55


@pytest.mark.parametrize("status", [0, 100, 404, 429, 500, 503])
def test_unscorable_statuses(status: int) -> None:
    result = score_observatory(replace(neutral(), status=status))
    assert result == ObservatoryResult(None, None, (), unscored_reason=f"status {status} cannot be scored")
    assert result.tests_failed == 0


def test_broken_urls_do_not_crash_scoring() -> None:
    facts = page(
        html='<script src="https://[broken/x.js"></script><script src="/a.js"></script>',
        redirect_chain=(RedirectStep("http://[bad", 301), RedirectStep("https://example.com/", 200)),
    )
    result = score_observatory(facts)
    tests = {test.name: test.result for test in result.tests}
    assert tests[T.SRI] is E.SRI_SAME_SITE_ONLY
    assert tests[T.REDIRECTION] is E.REDIRECTION_OFF_HOST
