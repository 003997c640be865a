"""Canonical URLs, registrable domains (offline) and the crawl scope."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urljoin

import pytest
from w3lib.url import canonicalize_url

from techscaniq.evidence import urls
from techscaniq.evidence.urls import (
    canonical_url,
    in_scope,
    is_offsite_evidence_url,
    path_depth,
    registrable_domain,
    url_origin,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://WWW.Example.COM/Pricing", "http://www.example.com/Pricing"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/a#section-2", "http://example.com/a"),
        ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        ("http://example.com/a/../b/./c", "http://example.com/b/c"),
        ("http://example.com./a", "http://example.com/a"),
        ("http://example.com/a b", "http://example.com/a%20b"),
        ("http://example.com/%7euser", "http://example.com/~user"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_canonical_form(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=news&utm_medium=email&utm_campaign=x&UTM_Term=y",
        "gclid=abc",
        "fbclid=abc",
        "mc_cid=1&mc_eid=2",
        "_hsenc=a&_hsmi=b",
        "ref=producthunt",
        "msclkid=1&_ga=2&_gl=3",
    ],
)
def test_tracking_parameters_are_dropped(query: str) -> None:
    assert canonical_url(f"https://example.com/pricing?{query}") == "https://example.com/pricing"
    assert (
        canonical_url(f"https://example.com/pricing?plan=pro&{query}")
        == "https://example.com/pricing?plan=pro"
    )


def test_one_page_one_url() -> None:
    variants = [
        "https://Example.com:443/pricing?utm_source=x#plans",
        "https://example.com/pricing",
        "HTTPS://EXAMPLE.COM/pricing?gclid=1",
        "https://example.com/./pricing",
    ]
    assert {canonical_url(v) for v in variants} == {"https://example.com/pricing"}


@pytest.mark.parametrize(
    "raw",
    [
        "mailto:sales@example.com",
        "tel:+15035550148",
        "javascript:void(0)",
        "ftp://example.com/x",
        "",
        "http://",
    ],
)
def test_non_web_urls_have_no_canonical_form(raw: str) -> None:
    assert canonical_url(raw) is None


def test_relative_links_resolve_against_the_base() -> None:
    assert canonical_url("../team", "https://example.com/about/us") == "https://example.com/team"
    assert canonical_url("//docs.example.com/x", "https://example.com/") == "https://docs.example.com/x"
    assert canonical_url("?page=2", "https://example.com/blog") == "https://example.com/blog?page=2"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.example.com", "example.com"),
        ("a.b.example.co.uk", "example.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("acme.github.io", "acme.github.io"),  # a private suffix: one customer, not all of github.io
        ("www.northwind-ledger.test", "northwind-ledger.test"),  # unknown suffix: the last two labels
        ("jobs.hireboard.test", "hireboard.test"),
        ("WWW.Example.COM.", "example.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


def test_registrable_domain_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("no network in unit tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert urls._extract.suffix_list_urls == ()
    fresh = urls.tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)
    assert fresh("x.y.example.org").top_domain_under_public_suffix == "example.org"
    assert registrable_domain("never-seen-before.example.net") == "example.net"
    assert attempts == []


def test_scope_is_the_registrable_domain_and_its_subdomains() -> None:
    root = "northwind-ledger.test"
    assert in_scope("http://www.northwind-ledger.test:8080/pricing", root)
    assert in_scope("http://status.northwind-ledger.test/", root)
    assert in_scope("http://northwind-ledger.test/", root)
    assert not in_scope("http://jobs.hireboard.test/northwind-ledger", root)
    assert not in_scope("http://northwind-ledger.test.evil.com/", root)
    assert not in_scope("http://evilnorthwind-ledger.test/", root)
    assert not in_scope("mailto:x@northwind-ledger.test", root)


@pytest.mark.parametrize(
    "url",
    [
        "https://boards.greenhouse.io/acme",
        "https://job-boards.greenhouse.io/acme/jobs/1",
        "https://jobs.lever.co/acme",
        "https://jobs.ashbyhq.com/acme",
        "https://apply.workable.com/acme/",
        "https://acme.wd5.myworkdayjobs.com/External",
        "http://jobs.hireboard.test:8080/northwind-ledger",
        "https://acme.statuspage.io/",
        "https://status.acme-cloud.com/",
        "https://trust.acme-cloud.com/",
        "https://app.safebase.io/portal/acme",
        "https://acme.readme.io/reference",
        "https://acme.gitbook.io/docs",
        "https://documenter.getpostman.com/view/1/abc",
        "https://developers.acme-cloud.com/",
        "https://github.com/acme",
        "https://github.com/acme/acme-python",
    ],
)
def test_offsite_evidence_hosts(url: str) -> None:
    assert is_offsite_evidence_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/company/acme",
        "https://x.com/acme",
        "https://github.com/features",
        "https://github.com/acme/repo/issues/1",
        "https://github.com/",
        "https://status.com/",  # a two-label host is a domain, not a status subdomain
        "https://example.com/status",
    ],
)
def test_other_offsite_hosts_are_not_followed(url: str) -> None:
    assert not is_offsite_evidence_url(url)


def test_origin_and_depth() -> None:
    assert url_origin("http://www.example.com:8080/a/b?c=1") == "http://www.example.com:8080"
    assert path_depth("https://example.com/") == 0
    assert path_depth("https://example.com/legal/dpa") == 2


JOIN_BASES = [
    "http://a.test/x/y?q=1#f",
    "https://a.test:8443/",
    "http://a.test",
    "http://a.test?x/y",
    "HTTP://A.test/p/",
    "https://[::1]:80/z",
    "ftp://x/y",
    "http://a.test/;p?q",
]
JOIN_HREFS = [
    "/",
    "/a/../b",
    "/a?b#c",
    "//b.test/c",
    "http://b.test/./d",
    "https://b.test",
    "http:///c",
    "http:/c",
    "HTTPS://X/",
    "/\\evil.test",
    "/a;p=1",
    "http://b.test:80/a/b/../c?",
    "/%2e%2e/x",
    "rel/path",
    "?only=query",
    "",
]


@pytest.mark.parametrize("base", JOIN_BASES)
def test_join_url_answers_as_urljoin_does(base: str) -> None:
    # The cache keys root-relative and absolute hrefs by origin and scheme: the answers must not change.
    for href in JOIN_HREFS:
        try:
            expected: str | None = urljoin(base, href)
        except ValueError:
            expected = None
        try:
            got: str | None = urls.join_url(base, href)
        except ValueError:
            got = None
        assert got == expected, (base, href)


@pytest.mark.parametrize(
    "url",
    [
        "http://a.test/b/c",
        "http://a.test/a/../b/./c",
        "http://a.test/A%7eb",
        "http://a.test/~x",
        "http://a.test/a b",
        "http://a.test/x;p",
        "http://a.test/x:y@z",
        "http://a.test/é",
        "http://a.test/x!$&()*+,=",
        "http://a.test//x",
        "http://a.test/.",
        "http://a.test/..hidden",
        "http://a.test/x/..",
        "http://a.test/x/./",
        "http://a.test/%2F",
        "http://a.test/x#frag",
        "http://a.test/it's",
        "http://a.test/q?b=2&a=1",
        "https://docs.a.test/guides/set-permissions-for-payment-runs",
    ],
)
def test_the_canonical_fast_path_agrees_with_w3lib(url: str) -> None:
    # Plain paths skip w3lib; whatever the path, the answer must be w3lib's.
    assert canonical_url(url) == canonicalize_url(url, keep_fragments=False)


# The one set of URL helpers: every module reads hosts, origins and sites through these, so their edge cases are
# pinned here (the crawl scope, the collectors and the Observatory's same-site test used to disagree on them).


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://WWW.Example.COM/a", "www.example.com"),
        ("https://www.example.com./a", "www.example.com"),
        ("https://www.example.com:8443/a", "www.example.com"),
        ("http://127.0.0.1:8080/", "127.0.0.1"),
        ("http://[2001:DB8::1]:8080/", "2001:db8::1"),
        ("http://[::1]/", "::1"),
        ("https://bücher.de/", "bücher.de"),
        ("https://xn--bcher-kva.de/", "xn--bcher-kva.de"),
        ("http://intranet/", "intranet"),
        ("mailto:someone@example.com", ""),
        ("not a url", ""),
        ("http://[::1/", ""),
    ],
)
def test_url_host(url: str, expected: str) -> None:
    assert urls.url_host(url) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("WWW.Example.COM.", "example.com"),
        ("cdn.northwind-ledger.test", "northwind-ledger.test"),
        ("a.b.northwind-ledger.test", "northwind-ledger.test"),
        ("acme.github.io", "acme.github.io"),
        ("static.acme.github.io", "acme.github.io"),
        ("foo.bar.co.uk", "bar.co.uk"),
        ("www.bücher.de", "bücher.de"),
        ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("127.0.0.1", "127.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("intranet", "intranet"),
        ("localhost.", "localhost"),
        ("", ""),
    ],
)
def test_registrable_domain_edge_cases(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com"),
        ("http://example.com:8080/a", "http://example.com:8080"),
        ("http://[::1]:8080/a", "http://[::1]:8080"),
    ],
)
def test_url_origin_keeps_the_port(url: str, expected: str) -> None:
    assert url_origin(url) == expected


@pytest.mark.parametrize(
    ("host", "domain", "expected"),
    [
        ("example.com", "example.com", True),
        ("WWW.EXAMPLE.COM.", "example.com", True),
        ("docs.example.com", "Example.com.", True),
        ("notexample.com", "example.com", False),
        ("example.com.evil.test", "example.com", False),
        ("example.com", "", False),
    ],
)
def test_in_site(host: str, domain: str, expected: bool) -> None:
    assert urls.in_site(host, domain) is expected


@pytest.mark.parametrize(
    ("page", "script", "crawl_scope", "sri_result"),
    [
        (
            "https://www.northwind-ledger.test/",
            "https://cdn.northwind-ledger.test/app.js",
            True,
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            "https://acme.github.io/",
            "https://other.github.io/app.js",
            False,
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            "https://WWW.Example.com./",
            "https://static.example.com/app.js",
            True,
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
    ],
)
def test_the_observatory_and_the_crawl_agree_on_what_is_same_site(
    page: str, script: str, crawl_scope: bool, sri_result: str
) -> None:
    """A script host is same-site for the SRI test exactly when the crawl keeps that host in scope."""
    from techscaniq.evidence.observatory import ResponseFacts, TestName, score_observatory

    facts = ResponseFacts(
        url=page,
        status=200,
        headers=(("Content-Type", "text/html"),),
        html=f'<html><head><script src="{script}"></script></head><body>x</body></html>',
    )
    sri = next(test for test in score_observatory(facts).tests if test.name is TestName.SRI)
    assert in_scope(script, registrable_domain(urls.url_host(page))) is crawl_scope
    assert sri.result == sri_result
