"""Security header, cookie, disclosure, mixed-content, SRI, CORS and security.txt facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from techscaniq.evidence.security_headers import (
    MATRIX_HEADERS,
    CookiePrefix,
    Presence,
    cors_summary,
    deprecated_headers,
    header_matrix,
    header_values,
    mixed_content,
    parse_cookies,
    parse_csp_header_values,
    parse_hsts,
    parse_permissions_policy,
    parse_security_txt,
    subresource_integrity,
    version_disclosure,
)

GOOD_HEADERS = (
    ("strict-transport-security", "max-age=63072000; includeSubDomains; preload"),
    ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", 'camera=(), geolocation=(self "https://maps.example.com"), fullscreen=*'),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-site"),
)

# --- header access ----------------------------------------------------------------------------------------


def test_header_values_are_case_insensitive_and_ordered() -> None:
    headers = (("Set-Cookie", "a=1"), ("X-Other", "x"), ("set-cookie", "b=2"))
    assert header_values(headers, "SET-COOKIE") == ["a=1", "b=2"]
    assert header_values(headers, "Missing") == []


# --- presence matrix --------------------------------------------------------------------------------------


def test_matrix_all_present() -> None:
    matrix = header_matrix(GOOD_HEADERS)
    assert list(matrix) == list(MATRIX_HEADERS)
    assert all(row.presence is Presence.PRESENT for row in matrix.values())
    assert all(not row.warnings for row in matrix.values())
    assert matrix["Strict-Transport-Security"].verdict == "max-age=63072000; includeSubDomains; preload"
    assert matrix["Permissions-Policy"].verdict == "disabled: camera; limited: geolocation"
    assert matrix["Cross-Origin-Resource-Policy"].verdict == "same-site"


def test_matrix_all_absent() -> None:
    matrix = header_matrix(())
    assert all(row.presence is Presence.ABSENT and row.value is None for row in matrix.values())


def test_matrix_hsts_only_counts_over_https() -> None:
    row = header_matrix(GOOD_HEADERS, https=False)["Strict-Transport-Security"]
    assert row.presence is Presence.INVALID
    assert "http" in row.verdict


@pytest.mark.parametrize(
    ("values", "presence", "warning"),
    [
        (["max-age=31536000", "max-age=31536000"], Presence.INVALID, None),
        (["includeSubDomains"], Presence.INVALID, None),
        (["max-age=0"], Presence.PRESENT, "forget"),
        (["max-age=86400"], Presence.PRESENT, "six months"),
    ],
)
def test_matrix_hsts_problems(values: list[str], presence: Presence, warning: str | None) -> None:
    row = header_matrix(tuple(("Strict-Transport-Security", value) for value in values))[
        "Strict-Transport-Security"
    ]
    assert row.presence is presence
    if warning:
        assert warning in row.warnings[0]


def test_matrix_csp_warnings_and_report_only() -> None:
    unsafe = header_matrix((("Content-Security-Policy", "script-src 'self' 'unsafe-inline' 'unsafe-eval'"),))
    row = unsafe["Content-Security-Policy"]
    assert row.presence is Presence.PRESENT
    assert row.warnings == ("allows 'unsafe-inline'", "allows 'unsafe-eval'")
    report_only = header_matrix((("Content-Security-Policy-Report-Only", "default-src 'none'"),))
    assert report_only["Content-Security-Policy"].presence is Presence.ABSENT
    assert "report-only" in report_only["Content-Security-Policy"].verdict
    invalid = header_matrix((("Content-Security-Policy", "default-src \u2603"),))
    assert invalid["Content-Security-Policy"].presence is Presence.INVALID


@pytest.mark.parametrize(
    ("headers", "presence"),
    [
        ((("Content-Security-Policy", "frame-ancestors 'self'"),), Presence.PRESENT),
        ((("X-Frame-Options", "SAMEORIGIN"),), Presence.PRESENT),
        ((("X-Frame-Options", "ALLOW-FROM https://a.example"),), Presence.INVALID),
        ((("X-Frame-Options", ""),), Presence.INVALID),
    ],
)
def test_matrix_frame_options(headers: tuple[tuple[str, str], ...], presence: Presence) -> None:
    assert header_matrix(headers)["X-Frame-Options"].presence is presence


def test_matrix_referrer_and_content_type_options() -> None:
    matrix = header_matrix((("Referrer-Policy", "unsafe-url"), ("X-Content-Type-Options", "sniff")))
    assert matrix["Referrer-Policy"].presence is Presence.PRESENT
    assert matrix["Referrer-Policy"].warnings
    assert matrix["X-Content-Type-Options"].presence is Presence.INVALID
    assert header_matrix((("Referrer-Policy", "nonsense"),))["Referrer-Policy"].presence is Presence.INVALID


def test_matrix_cross_origin_isolation_headers() -> None:
    matrix = header_matrix(
        (
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Opener-Policy", "unsafe-none"),
            ("Cross-Origin-Embedder-Policy", 'require-corp; report-to="e"'),
            ("Cross-Origin-Resource-Policy", "everyone"),
        )
    )
    assert matrix["Cross-Origin-Opener-Policy"].presence is Presence.INVALID
    assert matrix["Cross-Origin-Embedder-Policy"].presence is Presence.PRESENT
    assert matrix["Cross-Origin-Resource-Policy"].presence is Presence.INVALID


def test_matrix_truncates_huge_values() -> None:
    huge = "default-src 'self' " + "https://a.example.com " * 5000
    row = header_matrix((("Content-Security-Policy", huge),))["Content-Security-Policy"]
    assert row.value is not None
    assert len(row.value) == 1024


@pytest.mark.parametrize(
    ("value", "features"),
    [
        ("camera=(), microphone=()", {"camera": "()", "microphone": "()"}),
        (
            'geolocation=(self "https://a.example"), usb=*',
            {"geolocation": '(self "https://a.example")', "usb": "*"},
        ),
        ("interest-cohort=()", {"interest-cohort": "()"}),
        ("camera 'none'", None),  # Feature-Policy syntax
        ("", None),
        ("camera=(", None),
    ],
)
def test_parse_permissions_policy(value: str, features: dict[str, str] | None) -> None:
    assert parse_permissions_policy(value) == features


def test_deprecated_headers_are_facts() -> None:
    found = deprecated_headers(
        (("X-XSS-Protection", "1; mode=block"), ("Expect-CT", "max-age=0"), ("Server", "x"))
    )
    assert [d.header for d in found] == ["X-XSS-Protection", "Expect-CT"]


# --- CSP and HSTS parsing ------------------------------------------------------------------------------------


def test_csp_parsing_splits_policies_and_keeps_first_duplicate() -> None:
    policies = parse_csp_header_values(
        ["default-src 'self'; script-src a.example; script-src b.example, img-src *"]
    )
    assert len(policies) == 2
    assert policies[0].directives["script-src"] == ("a.example",)
    assert policies[0].duplicated == ("script-src",)
    assert policies[1].directives == {"img-src": ("*",)}
    assert not parse_csp_header_values([""])[0].valid
    assert not parse_csp_header_values(["scr\u00efpt-src 'self'"])[0].valid


@pytest.mark.parametrize(
    ("values", "max_age", "valid"),
    [
        (["max-age=31536000; includeSubDomains"], 31536000, True),
        (['MAX-AGE="600"'], 600, True),
        (["max-age=-1"], None, False),
        (["max-age=\u0661\u0662"], None, False),  # Arabic-Indic digits are not ASCII digits
        (["preload"], None, False),
        (["max-age=1, max-age=2"], None, False),
    ],
)
def test_parse_hsts(values: list[str], max_age: int | None, valid: bool) -> None:
    hsts = parse_hsts(values)
    assert hsts is not None
    assert (hsts.max_age, hsts.valid) == (max_age, valid)
    assert parse_hsts([]) is None


# --- cookies ----------------------------------------------------------------------------------------------


def test_parse_cookie_attributes() -> None:
    (cookie,) = parse_cookies(
        ["sessionid=s3cr3t; Path=/app; Domain=.Example.com; Secure; HttpOnly; SameSite=Lax; Max-Age=3600"]
    )
    assert cookie.name == "sessionid"
    assert (cookie.secure, cookie.httponly, cookie.samesite) == (True, True, "lax")
    assert (cookie.path, cookie.domain) == ("/app", ".example.com")
    assert (cookie.has_max_age, cookie.has_expires, cookie.persistent) == (True, False, True)
    assert cookie.session_like and not cookie.csrf_like
    assert cookie.prefix is None and cookie.prefix_valid is None
    assert "s3cr3t" not in repr(cookie)


@pytest.mark.parametrize(
    ("set_cookie", "prefix", "valid"),
    [
        ("__Host-id=1; Secure; Path=/", CookiePrefix.HOST, True),
        ("__Host-id=1; Secure; Path=/; Domain=example.com", CookiePrefix.HOST, False),
        ("__Host-id=1; Secure", CookiePrefix.HOST, False),
        ("__Host-id=1; Path=/", CookiePrefix.HOST, False),
        ("__Secure-id=1; Secure", CookiePrefix.SECURE, True),
        ("__secure-id=1", CookiePrefix.SECURE, False),
    ],
)
def test_cookie_prefixes(set_cookie: str, prefix: CookiePrefix, valid: bool) -> None:
    (cookie,) = parse_cookies([set_cookie])
    assert (cookie.prefix, cookie.prefix_valid) == (prefix, valid)


@pytest.mark.parametrize(
    ("set_cookie", "samesite", "valid"),
    [
        ("a=1; SameSite=Strict", "strict", True),
        ("a=1; SameSite", "", False),
        ("a=1; SameSite=", "", False),
        ("a=1; SameSite=Sideways", "sideways", False),
        ("a=1; SameSite=None", "none", False),
        ("a=1; SameSite=None; Secure", "none", True),
        ("a=1", None, True),
    ],
)
def test_cookie_samesite(set_cookie: str, samesite: str | None, valid: bool) -> None:
    (cookie,) = parse_cookies([set_cookie])
    assert (cookie.samesite, cookie.samesite_valid) == (samesite, valid)


def test_hostile_cookies() -> None:
    cookies = parse_cookies(
        [
            "",
            ";;;",
            "=; Secure",
            "justavalue; Secure",
            "a=1; Expires=not a date; SameSite=Lax; SameSite=Strict",
            "b=" + "x" * 100_000 + "; " + "Path=" + "/" * 5000,
            "csrf_token=1; secure; HTTPONLY",
        ]
    )
    assert [c.name for c in cookies] == ["", "a", "b", "csrf_token"]
    nameless, garbage_date, huge, csrf = cookies
    assert nameless.secure
    assert garbage_date.has_expires and garbage_date.samesite == "strict"
    assert huge.path is not None and len(huge.path) == 256
    assert csrf.csrf_like and csrf.secure and csrf.httponly


# --- version disclosure -----------------------------------------------------------------------------------


def _found(headers: tuple[tuple[str, str], ...], html: str = "") -> list[tuple[str, str, str | None]]:
    return [(d.source, d.product, d.version) for d in version_disclosure(headers, html)]


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Server", "nginx/1.24.0", [("Server", "nginx", "1.24.0")]),
        (
            "server",
            "Apache/2.4.57 (Debian) OpenSSL/3.0.11",
            [("Server", "Apache", "2.4.57"), ("Server", "OpenSSL", "3.0.11")],
        ),
        ("Server", "Microsoft-IIS/10.0", [("Server", "Microsoft-IIS", "10.0")]),
        ("Server", "cloudflare", [("Server", "cloudflare", None)]),
        ("Server", "Apache", [("Server", "Apache", None)]),
        ("X-Powered-By", "PHP/8.1.2-1ubuntu2.14", [("X-Powered-By", "PHP", "8.1.2-1ubuntu2.14")]),
        ("X-Powered-By", "Express", [("X-Powered-By", "Express", None)]),
        ("X-AspNet-Version", "4.0.30319", [("X-AspNet-Version", "ASP.NET", "4.0.30319")]),
        ("X-AspNetMvc-Version", "5.2", [("X-AspNetMvc-Version", "ASP.NET MVC", "5.2")]),
        ("X-Generator", "Drupal 10 (https://www.drupal.org)", [("X-Generator", "Drupal", "10")]),
        ("Server", "gws/beta", [("Server", "gws/beta", None)]),
    ],
)
def test_version_disclosure(header: str, value: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert _found(((header, value),)) == expected


def test_version_disclosure_meta_generator_and_findings() -> None:
    html = '<html><head><meta name="Generator" content="WordPress 6.4.2"></head></html>'
    disclosures = version_disclosure((("Server", "cloudflare"),), html)
    assert [(d.product, d.version, d.is_finding) for d in disclosures] == [
        ("cloudflare", None, False),
        ("WordPress", "6.4.2", True),
    ]
    assert disclosures[1].source == "meta generator"


def test_version_disclosure_hostile_values() -> None:
    assert _found((("Server", ""), ("X-Powered-By", "   "), ("Content-Type", "nginx/1.0"))) == []
    assert _found((("Server", "nginx/1.0"), ("Server", "nginx/1.0"))) == [("Server", "nginx", "1.0")] * 2
    huge = version_disclosure((("Server", " ".join(f"p{i}/{i}.0" for i in range(5000))),))
    assert len(huge) == 10
    assert all(len(d.value) <= 1024 for d in huge)


# --- mixed content ----------------------------------------------------------------------------------------

MIXED_HTML = """
<html><head>
<link rel="stylesheet" href="http://cdn.example.com/a.css">
<link rel="canonical" href="http://example.com/">
<link rel="alternate" href="http://example.com/feed">
<script src="HTTP://cdn.example.com/a.js"></script>
<script src="//cdn.example.com/b.js"></script>
</head><body>
<img src="http://img.example.com/1.png" srcset="http://img.example.com/2.png 2x, /3.png 3x">
<img src="http://img.example.com/1.png">
<picture><source srcset="http://img.example.com/4.webp"></picture>
<iframe src="http://frame.example.com/"></iframe>
<video src="http://v.example.com/v.mp4" poster="http://v.example.com/p.jpg"></video>
<audio><source src="http://a.example.com/a.mp3"></audio>
<object data="http://o.example.com/o.swf"></object>
<form action="http://example.com/login"></form>
<a href="http://example.com/plain-link">not a subresource</a>
<img src="https://img.example.com/ok.png">
</body></html>
"""


def test_mixed_content_lists_insecure_subresources_once() -> None:
    found = mixed_content("https://example.com/", MIXED_HTML)
    assert found == [
        "HTTP://cdn.example.com/a.js",
        "http://img.example.com/1.png",
        "http://img.example.com/2.png",
        "http://img.example.com/4.webp",
        "http://frame.example.com/",
        "http://v.example.com/v.mp4",
        "http://v.example.com/p.jpg",
        "http://a.example.com/a.mp3",
        "http://o.example.com/o.swf",
        "http://example.com/login",
        "http://cdn.example.com/a.css",
    ]


def test_mixed_content_only_on_https_pages() -> None:
    assert mixed_content("http://example.com/", MIXED_HTML) == []
    assert mixed_content("https://example.com/", "") == []
    assert mixed_content("https://example.com/", "<img src><img srcset=', ,'><<<>>>") == []


# --- subresource integrity --------------------------------------------------------------------------------


def test_subresource_integrity_summary() -> None:
    html = """
    <script src="/app.js"></script>
    <script src="https://example.com/same-origin.js"></script>
    <script src="https://cdn.jsdelivr.net/a.js" integrity="sha384-a" crossorigin="anonymous"></script>
    <script src="https://cdn.jsdelivr.net/a.js" integrity="sha384-a"></script>
    <script src="//unpkg.com/b.js"></script>
    <script src="http://example.com/downgraded.js"></script>
    <script src="https://t.example.net/c.js" integrity="  "></script>
    <script>inline()</script>
    <link rel="stylesheet" href="https://fonts.googleapis.com/css" integrity="sha256-x">
    <link rel="Stylesheet preload" href="https://cdn.example.org/s.css">
    <link rel="icon" href="https://cdn.example.org/favicon.ico">
    """
    summary = subresource_integrity("https://example.com/page", html)
    assert summary.scripts_with_integrity == ("https://cdn.jsdelivr.net/a.js",)
    assert summary.scripts_without_integrity == (
        "https://unpkg.com/b.js",
        "http://example.com/downgraded.js",
        "https://t.example.net/c.js",
    )
    assert summary.stylesheets_with_integrity == ("https://fonts.googleapis.com/css",)
    assert summary.stylesheets_without_integrity == ("https://cdn.example.org/s.css",)
    assert summary.external_count == 6
    assert not summary.all_protected


def test_subresource_integrity_without_external_resources() -> None:
    html = (
        "<script src='/a.js'></script><script src=''></script><script src='data:text/javascript,1'></script>"
    )
    summary = subresource_integrity("https://example.com/", html)
    assert summary.external_count == 0
    assert summary.all_protected
    assert subresource_integrity("https://example.com/", "").external_count == 0


# --- CORS -------------------------------------------------------------------------------------------------


def test_cors_absent() -> None:
    cors = cors_summary(())
    assert cors.allow_origin is None
    assert not (cors.wildcard or cors.allow_credentials or cors.credentialed_any_origin)


def test_cors_wildcard_with_credentials() -> None:
    cors = cors_summary(
        (("Access-Control-Allow-Origin", " * "), ("Access-Control-Allow-Credentials", "true"))
    )
    assert cors.wildcard and cors.wildcard_with_credentials
    assert not cors.credentialed_any_origin


def test_cors_reflected_origin_with_credentials() -> None:
    headers = (
        ("access-control-allow-origin", "https://Probe.example/"),
        ("Access-Control-Allow-Credentials", "True"),
    )
    cors = cors_summary(headers, "https://probe.example")
    assert cors.reflects_request_origin and cors.credentialed_any_origin
    assert not cors_summary(headers).reflects_request_origin


def test_cors_hostile_values() -> None:
    cors = cors_summary(
        (
            ("Access-Control-Allow-Origin", "null"),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "yes"),
        )
    )
    assert cors.null_origin and cors.repeated_allow_origin
    assert not cors.wildcard and not cors.allow_credentials
    huge = cors_summary((("Access-Control-Allow-Origin", "https://" + "a" * 10_000),))
    assert huge.allow_origin is not None and len(huge.allow_origin) == 1024


# --- security.txt -----------------------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, tzinfo=UTC)
FULL_SECURITY_TXT = """\ufeff# Our security contacts
Contact: mailto:security@example.com
Contact: https://example.com/security
contact: tel:+1-201-555-0123
Expires: 2025-12-31T23:59:59Z
Encryption: https://example.com/pgp-key.txt
Acknowledgments: https://example.com/hall-of-fame
Preferred-Languages: en, de ,fr
Canonical: https://example.com/.well-known/security.txt
Policy: https://example.com/disclosure
Hiring: https://example.com/jobs
X-Custom: ignored
"""


def test_security_txt_all_fields() -> None:
    txt = parse_security_txt(FULL_SECURITY_TXT, now=NOW)
    assert txt.contact == (
        "mailto:security@example.com",
        "https://example.com/security",
        "tel:+1-201-555-0123",
    )
    assert txt.expires == datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert not txt.expired
    assert txt.encryption == ("https://example.com/pgp-key.txt",)
    assert txt.acknowledgments == ("https://example.com/hall-of-fame",)
    assert txt.preferred_languages == ("en", "de", "fr")
    assert txt.canonical == ("https://example.com/.well-known/security.txt",)
    assert txt.policy == ("https://example.com/disclosure",)
    assert txt.hiring == ("https://example.com/jobs",)
    assert not txt.signed
    assert txt.valid and txt.errors == () and txt.warnings == ()


def test_security_txt_missing_required_fields() -> None:
    txt = parse_security_txt("Policy: https://example.com/p\n", now=NOW)
    assert not txt.valid
    assert any("Contact" in error for error in txt.errors)
    assert any("Expires" in error for error in txt.errors)
    assert parse_security_txt("", now=NOW).errors == txt.errors


@pytest.mark.parametrize("expires", ["next tuesday", "2025-13-45T00:00:00Z", "", "9" * 500])
def test_security_txt_garbage_expires(expires: str) -> None:
    txt = parse_security_txt(f"Contact: mailto:s@example.com\nExpires: {expires}\n", now=NOW)
    assert txt.expires is None and not txt.expired
    assert len(txt.errors) == 1


@pytest.mark.parametrize(
    ("expires", "expired", "warning"),
    [
        ("2025-01-01T00:00:00+00:00", True, "past"),
        ("2027-01-01T00:00:00Z", False, "more than a year"),
        ("2025-06-02T00:00:00+02:00", False, None),
    ],
)
def test_security_txt_expiry(expires: str, expired: bool, warning: str | None) -> None:
    txt = parse_security_txt(f"Contact: mailto:s@example.com\nExpires: {expires}\n", now=NOW)
    assert txt.expired is expired
    assert txt.valid
    if warning is None:
        assert txt.warnings == ()
    else:
        assert any(warning in w for w in txt.warnings)


def test_security_txt_signed() -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\r\n"
        "Hash: SHA512\r\n"
        "\r\n"
        "Contact: mailto:security@example.com\r\n"
        "- Expires: 2026-01-01T00:00:00Z\r\n"
        "-----BEGIN PGP SIGNATURE-----\r\n"
        "\r\n"
        "iQIzBAEBCgAdFiEE\r\n"
        "-----END PGP SIGNATURE-----\r\n"
    )
    txt = parse_security_txt(signed, now=NOW)
    assert txt.signed
    assert txt.contact == ("mailto:security@example.com",)
    assert txt.expires == datetime(2026, 1, 1, tzinfo=UTC)
    assert txt.valid


def test_security_txt_hostile_content() -> None:
    text = (
        "Contact: http://example.com/report\n"
        "Expires: 2025-12-31T00:00:00Z\n"
        "Expires: 2026-12-31T00:00:00Z\n"
        "Preferred-Languages: en\n"
        "Preferred-Languages: fr\n"
        "this line is not a field\n"
        "Expires: 2025-12-31\n"
    )
    txt = parse_security_txt(text, now=NOW)
    assert "expires appears more than once" in txt.errors
    assert "preferred-languages appears more than once" in txt.errors
    assert "line 6 is not a field" in txt.errors
    assert txt.preferred_languages == ("en",)
    assert any("not https" in warning for warning in txt.warnings)


def test_security_txt_without_time_zone() -> None:
    txt = parse_security_txt("Contact: mailto:a@example.com\nExpires: 2025-12-31T00:00:00\n", now=NOW)
    assert txt.expires == datetime(2025, 12, 31, tzinfo=UTC)
    assert "Expires has no time zone" in txt.errors


def test_security_txt_huge_input() -> None:
    text = "Contact: mailto:a@example.com\nExpires: 2025-12-31T00:00:00Z\n" + "# filler\n" * 100_000
    text += "Contact: mailto:late@example.com\n"
    txt = parse_security_txt(text, now=NOW)
    assert txt.contact == ("mailto:a@example.com",)
    assert any("first" in warning for warning in txt.warnings)
    long_value = parse_security_txt("Contact: mailto:" + "a" * 50_000, now=NOW)
    assert len(long_value.contact[0]) == 1024


def test_broken_urls_do_not_crash_helpers() -> None:
    html = '<script src="https://[broken/x.js"></script><img src="http://[y">'
    assert subresource_integrity("https://example.com/", html).external_count == 0
    assert subresource_integrity("https://[page", html).external_count == 0
    assert mixed_content("https://example.com/", html) == ["http://[y"]
    assert mixed_content("https://[page", html) == []
