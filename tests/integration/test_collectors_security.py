"""The security collector over the demo company site on loopback https, with an http:// redirector in front."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme
from selectolax.lexbor import LexborHTMLParser

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.security import SecurityCollector
from techscaniq.evidence.fetch import GuardedFetcher, ResourceKind
from tests.support.collectors import load_site_zone, make_scan
from tests.support.http_servers import LoopbackHTTPServer, redirect

pytestmark = pytest.mark.integration

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)
DOMAIN = "northwind-ledger.test"
SIX_MONTHS_SECONDS = 15_552_000


def make_context(fetcher: GuardedFetcher, settings: Settings, root_url: str) -> CollectContext:
    scan = make_scan(root_url, scan_id="scan-security")
    return CollectContext(scan, settings, fetcher, root_url, DOMAIN)


def load_zone(fixture_dns: LoopbackDNSServer, server: SiteServer) -> None:
    """Serve the site's zone from the fixture DNS server."""
    load_site_zone(fixture_dns, server.site)


def crawl(fetcher: GuardedFetcher, server: SiteServer) -> list[CrawledPage]:
    """Fetch every HTML page the site plants, the home page first, as the crawler would hand them over."""
    manifest = server.site.manifest
    home = manifest["home"]
    urls = [home, *(url for cls in manifest["pages"].values() for url in cls if url != home)]
    classes = {url: cls for cls, listed in manifest["pages"].items() for url in listed}
    pages = []
    for url in urls:
        result = fetcher.fetch(url, ResourceKind.HTML)
        assert result.ok, (url, result.error_code, result.error_message)
        page_class = PageClass.HOME if url == home else classes.get(url, PageClass.OTHER)
        html = result.text if (result.content_type or "").endswith("html") else ""
        host = urlsplit(result.final_url).hostname or ""
        pages.append(CrawledPage(result.final_url, url, host, page_class, 1, result, html, "link"))
    return pages


@dataclass
class Run:
    server: SiteServer
    items: list[EvidenceDraft]
    home_html: str


@pytest.fixture(scope="module")
def https_run(fixture_dns: LoopbackDNSServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    ca = trustme.CA()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    names = [DOMAIN, *(f"{label}.{DOMAIN}" for label in ("www", "docs", "status", "trust", "api", "mta-sts"))]
    ca.issue_cert(*names, "jobs.hireboard.test").configure_cert(tls)
    bundle = tmp_path_factory.mktemp("security-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with SiteServer.started(pages=30, tls=tls) as server, LoopbackHTTPServer() as redirector:
        load_zone(fixture_dns, server)
        home = server.site.url("www")
        redirector.route("/", redirect(home, 301))
        with GuardedFetcher(settings, ca_bundle=str(bundle)) as fetcher:
            pages = crawl(fetcher, server)
            context = make_context(fetcher, settings, home)
            collector = SecurityCollector(http_port=redirector.port)
            for page in pages:
                assert list(collector.on_page(page, context)) == []
            state = json.loads(json.dumps(collector.state()))
            resumed = SecurityCollector(http_port=redirector.port)
            resumed.restore(state)  # a resumed delivery: the home HTML is refetched
            items = list(resumed.finish(context))
        yield Run(server, items, pages[0].html)


def by_key(items: list[EvidenceDraft], type_: EvidenceType) -> dict[str, EvidenceDraft]:
    return {item.dedup_key: item for item in items if item.type == type_}


# -- the expected Observatory result, computed from the planted headers (not with the scorer) -----------------


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    return directives


def expected_modifiers(
    headers: dict[str, str], cookies: list[dict[str, Any]], home_html: str
) -> dict[str, int]:
    """The modifier each test deserves for the www home page of the demo site, by the published table."""
    csp = csp_directives(headers.get("Content-Security-Policy", ""))
    script = csp.get("script-src", csp.get("default-src", ["*"]))
    style = csp.get("style-src", csp.get("default-src", []))
    if not csp:
        csp_mod = -25
    elif "'unsafe-inline'" in script or "data:" in script or "*" in script:
        csp_mod = -20
    elif "'unsafe-eval'" in script:
        csp_mod = -10
    elif "'unsafe-inline'" in style:
        csp_mod = 0
    elif csp.get("default-src") == ["'none'"]:
        csp_mod = 10
    else:
        csp_mod = 5
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = int(hsts.split("max-age=")[1].split(";")[0]) if "max-age=" in hsts else None
    hsts_mod = -20 if max_age is None else (0 if max_age >= SIX_MONTHS_SECONDS else -10)
    sessions_ok = all(c["httponly"] for c in cookies if "sess" in c["name"])
    if not cookies:
        cookie_mod = 0
    elif all(c["secure"] for c in cookies) and sessions_ok:
        cookie_mod = 5 if all(c["samesite"] for c in cookies) else 0
    else:
        cookie_mod = -20
    referrer = headers.get("Referrer-Policy", "")
    safe = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
    referrer_mod = 5 if referrer in safe else (0 if not referrer else -5)
    foreign = [
        node.attributes
        for node in LexborHTMLParser(home_html).css("script[src]")
        if (node.attributes.get("src") or "").startswith(("http:", "https:", "//"))
        and not (urlsplit(node.attributes.get("src") or "").hostname or "").endswith(DOMAIN)
    ]
    if any(not (a.get("src") or "").startswith("https:") for a in foreign):
        sri_mod = -50
    elif any(not a.get("integrity") for a in foreign):
        sri_mod = -5
    else:
        sri_mod = 5 if foreign else 0
    frame = 5 if "frame-ancestors" in csp or headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN") else -20
    coop = headers.get("Cross-Origin-Opener-Policy")
    return {
        "content-security-policy": csp_mod,
        "cookies": cookie_mod,
        "cross-origin-resource-sharing": 0,  # no Access-Control-Allow-Origin is neutral, as is a restricted one
        "redirection": 0,  # the redirector sends http://www to https://www on the same host
        "referrer-policy": referrer_mod,
        "strict-transport-security": hsts_mod,
        "subresource-integrity": sri_mod,
        "x-content-type-options": 0 if headers.get("X-Content-Type-Options") == "nosniff" else -5,
        "x-frame-options": frame,
        "cross-origin-resource-policy": 0 if "Cross-Origin-Resource-Policy" not in headers else 10,
        "cross-origin-opener-policy": 10 if coop in ("same-origin", "same-origin-allow-popups") else 0,
        "cross-origin-embedder-policy": 0 if "Cross-Origin-Embedder-Policy" not in headers else 10,
    }


GRADES = [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C")]
GRADES += [(45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F")]


def expected_score(modifiers: dict[str, int]) -> tuple[int, str]:
    penalties = 100 + sum(m for m in modifiers.values() if m < 0)
    score = max(100 + sum(modifiers.values()) if penalties >= 90 else penalties, 0)
    key = min(score - score % 5, 100)
    return score, next(grade for floor, grade in GRADES if key >= floor)


def test_observatory_grade_is_the_one_the_planted_headers_deserve(https_run: Run) -> None:
    manifest = https_run.server.site.manifest
    cookies = [c for c in manifest["cookies"] if c["host"] == "www"]
    modifiers = expected_modifiers(manifest["headers"]["www"], cookies, https_run.home_html)
    score, grade = expected_score(modifiers)
    [result] = by_key(https_run.items, EvidenceType.OBSERVATORY_SCORE).values()
    assert (result.data["score"], result.data["grade"]) == (score, grade)
    assert result.data["modifiers"] == modifiers
    tests = by_key(https_run.items, EvidenceType.OBSERVATORY_TEST)
    assert len(tests) == 12
    assert tests["redirection"].data["result"] == "redirection-to-https"
    assert tests["x-frame-options"].data["result"] == "x-frame-options-implemented-via-csp"
    assert result.data["tests_passed"] == sum(t.data["passed"] for t in tests.values())


def test_header_matrix_strong_on_www_weak_on_docs(https_run: Run) -> None:
    headers = by_key(https_run.items, EvidenceType.SECURITY_HEADER)
    www, docs = f"www.{DOMAIN}", f"docs.{DOMAIN}"
    planted_www = https_run.server.site.manifest["headers"]["www"]
    for name in ("Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options"):
        row = headers[f"{www} {name.lower()}"]
        assert row.data["presence"] == "present" and row.data["value"] == planted_www[name]
        assert headers[f"{docs} {name.lower()}"].data["presence"] == "absent"
        assert headers[f"{docs} {name.lower()}"].data["status"] == "not_observed"
    assert headers[f"{www} referrer-policy"].data["warnings"] == []
    assert headers[f"{docs} referrer-policy"].data["warnings"]  # no-referrer-when-downgrade leaks URLs
    assert headers[f"{docs} x-xss-protection"].data["deprecated"] is True
    assert headers[f"{www} content-security-policy"].data["home"] is True


def test_cookies_redirects_disclosure_and_security_txt(https_run: Run) -> None:
    manifest = https_run.server.site.manifest
    cookies = by_key(https_run.items, EvidenceType.COOKIE)
    for planted in manifest["cookies"]:
        host = manifest["hosts"][planted["host"]]
        item = cookies.get(f"{host} {planted['name']}")
        if planted["host"] == "jobs" and item is None:
            continue  # the job board is off-site; the crawl above fetches only the company's own pages
        assert item is not None, planted
        assert (item.data["secure"], item.data["httponly"]) == (planted["secure"], planted["httponly"])
        assert item.data["samesite"] == (planted["samesite"].lower() if planted["samesite"] else None)
    assert "not Secure" in cookies[f"docs.{DOMAIN} docs_visitor"].data["problems"]
    [chain] = by_key(https_run.items, EvidenceType.REDIRECT_CHAIN).values()
    assert [hop["status"] for hop in chain.data["hops"]] == [301, 200]
    assert chain.data["hops"][-1]["url"] == manifest["home"] and chain.data["https_upgrade"] is True
    versions = by_key(https_run.items, EvidenceType.VERSION_DISCLOSURE)
    assert "nginx/1.24.0" in versions and f"www.{DOMAIN}" in versions["nginx/1.24.0"].data["hosts"]
    [security_txt] = by_key(https_run.items, EvidenceType.SECURITY_TXT).values()
    planted_txt = manifest["trust"]["security_txt"]
    assert security_txt.data["url"] == planted_txt["url"]
    assert f"mailto:{planted_txt['contact']}" in security_txt.data["contact"]
    assert security_txt.data["preferred_languages"] == planted_txt["preferred_languages"]
    expires = datetime.fromisoformat(planted_txt["expires"])
    assert security_txt.data["expired"] is (expires <= datetime.now(UTC))
    [cors] = by_key(https_run.items, EvidenceType.CORS).values()
    assert cors.data["allow_origin"] is None and cors.data["status"] == "not_observed"
    assert {EvidenceType.MIXED_CONTENT, EvidenceType.SUBRESOURCE_INTEGRITY} <= {
        i.type for i in https_run.items
    }
    sri = by_key(https_run.items, EvidenceType.SUBRESOURCE_INTEGRITY)["site"]
    assert (
        sri.data["with_integrity"] >= 1 and sri.data["without_integrity"] >= 1
    )  # Sentry has a hash, GTM not


def test_an_http_only_site_is_said_to_be_one(fixture_dns: LoopbackDNSServer) -> None:
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with SiteServer.started(pages=30, domain="plain-ledger.test") as server:
        for host in server.site.manifest["hosts"].values():
            fixture_dns.set_records(host, "A", ["127.0.0.1"])
        with GuardedFetcher(settings) as fetcher:
            home = server.site.url("www")
            page = fetcher.fetch(home)
            context = make_context(fetcher, settings, home)
            collector = SecurityCollector(http_port=server.port)
            crawled = CrawledPage(
                home, home, urlsplit(home).hostname or "", PageClass.HOME, 0, page, page.text, "seed"
            )
            list(collector.on_page(crawled, context))
            items = list(collector.finish(context))
    [chain] = by_key(items, EvidenceType.REDIRECT_CHAIN).values()
    assert chain.title.startswith("The site is served over plain http only")
    tests = by_key(items, EvidenceType.OBSERVATORY_TEST)
    assert tests["redirection"].data["result"] == "redirection-missing"
    assert tests["strict-transport-security"].data["result"] == "hsts-not-implemented-no-https"
    [score] = by_key(items, EvidenceType.OBSERVATORY_SCORE).values()
    assert score.data["response_https"] is False and score.data["https_note"]
