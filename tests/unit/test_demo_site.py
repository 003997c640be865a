"""The fixture site generator: determinism, sizes, links, the manifest's promises and the DNS zone."""

from __future__ import annotations

import base64
import gzip
import html
import json
import zlib
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from techscaniq.demo.site import (
    CRAWL_DELAY_SECONDS,
    DISALLOWED_PREFIX,
    FIXED_PAGES,
    MIN_SCALED_PAGES,
    PAGE_CLASSES,
    Site,
    SiteResponse,
    build_site,
)

PORT = 8631


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(port=PORT, pages=30, include_hostile=True)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "link": "href", "script": "src", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.links.append(value)


def _links(body: bytes, base: str) -> list[str]:
    parser = _Links()
    parser.feed(body.decode())
    return [urldefrag(urljoin(base, link))[0] for link in parser.links]


def _resolve(site: Site, url: str, hops: int = 5) -> SiteResponse | None:
    for _ in range(hops):
        parts = urlsplit(url)
        response = site.lookup(parts.netloc, parts.path + (f"?{parts.query}" if parts.query else ""))
        if response is None or response.status not in (301, 302):
            return response
        url = urljoin(url, response.header("Location") or "")
    return None


def _body(site: Site, url: str) -> bytes:
    response = _resolve(site, url)
    assert response is not None and response.status == 200, url
    return response.body


def _site_urls(value: Any, site: Site) -> Iterator[str]:
    origins = tuple(site.url(label, "/") for label in site.hosts)
    if isinstance(value, str) and value.startswith(origins):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _site_urls(item, site)
    elif isinstance(value, list):
        for item in value:
            yield from _site_urls(item, site)


def _is_hostile(site: Site, url: str) -> bool:
    hostile = site.manifest["hostile"] or {"pages": []}
    return url in {p["url"] for p in hostile["pages"]}


def test_same_arguments_give_identical_bytes() -> None:
    first = build_site(port=PORT, pages=30, include_hostile=True)
    second = build_site(port=PORT, pages=30, include_hostile=True)
    assert first.responses == second.responses
    assert json.dumps(first.manifest, sort_keys=True) == json.dumps(second.manifest, sort_keys=True)
    assert first.dns_zone() == second.dns_zone()
    other = build_site(port=PORT, pages=30, seed=8)
    assert (
        other.responses[("www.northwind-ledger.test", "/blog")]
        != first.responses[("www.northwind-ledger.test", "/blog")]
    )


@pytest.mark.parametrize("pages", [30, 320, 500])
def test_page_counts_scale_and_every_class_exists(pages: int) -> None:
    site = build_site(port=PORT, pages=pages)
    manifest = site.manifest
    assert manifest["page_count"] == max(pages, FIXED_PAGES + MIN_SCALED_PAGES)
    assert manifest["page_count"] == sum(len(urls) for urls in manifest["pages"].values())
    assert set(manifest["pages"]) == set(PAGE_CLASSES)
    assert all(manifest["pages"][cls] for cls in PAGE_CLASSES)
    every = [u for urls in manifest["pages"].values() for u in urls]
    assert len(every) == len(set(every))
    for url in every:
        response = _resolve(site, url)
        assert response is not None and response.status == 200, url
        assert (response.header("Content-Type") or "").startswith("text/html")
    json.dumps(manifest)


def test_every_manifest_url_is_served(site: Site) -> None:
    manifest = {k: v for k, v in site.manifest.items() if k != "hostile"}
    urls = sorted(set(_site_urls(manifest, site)))
    assert len(urls) > 60
    for url in urls:
        response = _resolve(site, urldefrag(url)[0])
        assert response is not None and response.status == 200, url


def test_links_resolve_and_every_page_is_reachable_from_home(site: Site) -> None:
    home = site.manifest["home"]
    hosts = set(site.hosts.values())
    seen, queue = {home}, deque([home])
    while queue:
        url = queue.popleft()
        if _is_hostile(site, url):
            continue
        response = _resolve(site, url)
        assert response is not None and response.status == 200, url
        if not (response.header("Content-Type") or "").startswith("text/html"):
            continue
        for link in _links(response.body, url):
            if urlsplit(link).hostname in hosts and link not in seen:
                seen.add(link)
                queue.append(link)
    pages = {u for urls in site.manifest["pages"].values() for u in urls}
    assert pages <= seen
    assert site.manifest["robots"]["disallowed_urls"][0] in seen


def test_unknown_paths_hosts_and_the_apex_redirect(site: Site) -> None:
    assert site.url("www", "/pricing") == f"http://www.northwind-ledger.test:{PORT}/pricing"
    assert build_site(port=80, pages=30).url("docs") == "http://docs.northwind-ledger.test/"
    missing = site.lookup("www.northwind-ledger.test", "/no-such-page")
    assert missing is not None and missing.status == 404
    assert site.lookup("elsewhere.test", "/") is None
    redirect = site.lookup(f"northwind-ledger.test:{PORT}", "/pricing?plan=team")
    assert redirect is not None and redirect.status == 301
    assert redirect.header("Location") == site.url("www", "/pricing?plan=team")


def test_robots_and_sitemaps(site: Site) -> None:
    robots = _body(site, site.manifest["robots"]["url"]).decode()
    assert robots.count("Disallow:") == 1
    assert f"Disallow: {DISALLOWED_PREFIX}" in robots
    assert f"Crawl-delay: {CRAWL_DELAY_SECONDS}" in robots
    sitemap_lines = [line.split(": ", 1)[1] for line in robots.splitlines() if line.startswith("Sitemap:")]
    assert sitemap_lines == [site.manifest["sitemaps"]["index"]]
    index = _body(site, sitemap_lines[0]).decode()
    listed: list[str] = []
    for child in site.manifest["sitemaps"]["children"]:
        assert f"<loc>{child['url']}</loc>" in index
        raw = _body(site, child["url"])
        xml = gzip.decompress(raw) if child["gzipped"] else raw
        locs = [part.split("</loc>")[0] for part in xml.decode().split("<loc>")[1:]]
        assert len(locs) == child["url_count"]
        listed += locs
    assert any(c["gzipped"] for c in site.manifest["sitemaps"]["children"])
    www_pages = {u for urls in site.manifest["pages"].values() for u in urls if u.startswith(site.url("www"))}
    assert set(listed) == www_pages
    assert not any(DISALLOWED_PREFIX in url for url in listed)


def test_openapi_counts_match_the_document(site: Site) -> None:
    facts = site.manifest["developer"]["openapi"]
    doc = json.loads(_body(site, facts["url"]))
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    operations = [op for item in doc["paths"].values() for method, op in item.items() if method in methods]
    assert doc["openapi"].startswith("3.")
    assert len(doc["paths"]) == facts["paths"]
    assert len(operations) == facts["operations"]
    assert sum(1 for op in operations if op.get("deprecated")) == facts["deprecated_operations"]
    assert len(doc["webhooks"]) == facts["webhooks"]
    assert sorted(doc["components"]["securitySchemes"]) == sorted(facts["security_schemes"])
    assert (
        f"{facts['paths']} paths and {facts['operations']} operations"
        in _body(site, site.manifest["developer"]["api_reference"]).decode()
    )


def test_planted_technology_signals_are_on_their_pages(site: Site) -> None:
    checked = 0
    for tech in site.manifest["technologies"]:
        assert tech["signals"], tech["name"]
        for signal in tech["signals"]:
            if signal["type"] not in ("scriptSrc", "html", "meta"):
                continue
            label, path = signal["where"].split(":", 1)
            body = _body(site, site.url(label, "/" if path == "*" else path)).decode()
            if signal["type"] == "meta":
                name, content = signal["value"].split(": ", 1)
                assert f'<meta name="{name}" content="{content}">' in body
            else:
                assert signal["value"] in body, (tech["name"], signal)
            checked += 1
    assert checked >= 20


def test_headers_and_cookies_per_host(site: Site) -> None:
    headers = site.manifest["headers"]
    for label, expected in headers.items():
        if label == "apex":
            continue
        response = site.lookup(site.hosts[label], "/no-such-page")
        assert response is not None
        for name, value in expected.items():
            assert response.header(name) == value
    assert headers["www"]["Server"] == "nginx/1.24.0" and headers["www"]["X-Powered-By"] == "Next.js"
    assert "frame-ancestors" in headers["www"]["Content-Security-Policy"]
    assert (
        "Content-Security-Policy" not in headers["docs"]
        and "Strict-Transport-Security" not in headers["docs"]
    )
    home = site.responses[(site.hosts["www"], "/")]
    set_cookies = [v for k, v in home.headers if k == "Set-Cookie"]
    assert set_cookies == [c["value"] for c in site.manifest["cookies"] if c["host"] == "www"]
    docs_cookie = next(c for c in site.manifest["cookies"] if c["name"] == "docs_visitor")
    assert not docs_cookie["secure"] and "Secure" not in docs_cookie["value"]


def test_claims_roles_leaders_customers_pricing_and_changelog(site: Site) -> None:
    m = site.manifest
    frameworks = {c["framework"] for c in m["compliance"]["claims"]}
    assert {"SOC 2 Type II", "ISO/IEC 27001", "GDPR", "HIPAA", "CCPA"} <= frameworks
    for claim in m["compliance"]["claims"] + m["compliance"]["disclaimed"]:
        assert html.escape(claim["sentence"]) in _body(site, claim["url"]).decode(), claim
    careers = _body(site, m["hiring"]["careers_url"]).decode()
    jobs = json.loads(_body(site, m["hiring"]["api_url"]))
    assert jobs["meta"]["total"] == len(m["roles"]) == m["hiring"]["open_roles"]
    assert sum(m["hiring"]["by_function"].values()) == len(m["roles"])
    for role in m["roles"]:
        assert html.escape(role["title"]) in careers
        page = _body(site, role["url"]).decode()
        assert html.escape(role["location"]) in page
        assert all(tech in page for tech in role["stack"])
    about = _body(site, m["home"] + "about").decode()
    assert all(html.escape(p["name"]) in about and html.escape(p["title"]) in about for p in m["leaders"])
    customers_page = _body(site, m["home"] + "customers").decode()
    for customer in m["customers"]:
        assert html.escape(customer["logo_alt"]) in customers_page
    pricing = _body(site, m["pricing"]["url"]).decode()
    assert len(m["pricing"]["plans"]) == m["pricing"]["plan_count"]
    assert all(f"<h2>{plan['name']}</h2>" in pricing for plan in m["pricing"]["plans"])
    assert "Contact sales" in pricing and "$0" in pricing
    changelog = _body(site, m["changelog"]["url"]).decode()
    dates = m["changelog"]["dates"]
    assert dates == sorted(dates, reverse=True)
    assert all(f'<time datetime="{d}">' in changelog for d in dates)
    feed = _body(site, m["changelog"]["feed"]).decode()
    assert feed.count("<entry>") == len(dates)


def test_structured_data_and_hreflang(site: Site) -> None:
    home = _body(site, site.manifest["home"]).decode()
    blob = home.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    org = json.loads(blob)
    company = site.manifest["company"]
    assert org["@type"] == "Organization" and org["name"] == company["name"]
    assert org["foundingDate"] == company["founding_date"] and org["sameAs"] == company["same_as"]
    assert '<meta property="og:site_name" content="Northwind Ledger">' in home
    for code in site.manifest["hreflang"]:
        assert f'hreflang="{code}"' in home


def test_security_txt(site: Site) -> None:
    facts = site.manifest["trust"]["security_txt"]
    text = _body(site, facts["url"]).decode()
    assert f"Contact: mailto:{facts['contact']}" in text
    assert f"Expires: {facts['expires']}" in text


def _rdata(rtype: str, value: str) -> Any:
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rtype), value)


def _txt(zone: dict[str, dict[str, list[str]]], name: str) -> list[str]:
    return [b"".join(_rdata("TXT", v).strings).decode() for v in zone.get(name, {}).get("TXT", [])]


def _resolve_a(zone: dict[str, dict[str, list[str]]], name: str) -> list[str]:
    for _ in range(8):
        rrsets = zone[name]
        if "CNAME" not in rrsets:
            return rrsets["A"]
        name = rrsets["CNAME"][0].rstrip(".")
    raise AssertionError("CNAME chain too long")


def test_dns_zone_holds_the_planted_records(site: Site) -> None:
    zone = site.dns_zone("127.0.0.5")
    for name, rrsets in zone.items():
        assert name == name.lower() and not name.endswith(".")
        for rtype, values in rrsets.items():
            assert values
            for value in values:
                _rdata(rtype, value)
    for host in site.hosts.values():
        assert _resolve_a(zone, host) == ["127.0.0.5"], host
    d, facts = site.domain, site.manifest["dns"]
    spf = [t for t in _txt(zone, d) if t.startswith("v=spf1")]
    assert spf == [facts["spf"]["record"]]
    lookups, pending = 0, [d]
    while pending:
        record = next(t for t in _txt(zone, pending.pop()) if t.startswith("v=spf1"))
        includes = [term.split(":", 1)[1] for term in record.split() if term.startswith("include:")]
        lookups += len(includes)
        pending += includes
    assert lookups == facts["spf"]["dns_lookups"] <= 10
    assert _txt(zone, f"_dmarc.{d}") == [facts["dmarc"]["record"]]
    assert _txt(zone, f"{d}._report._dmarc.reports.dmarcwatch.test") == ["v=DMARC1"]
    for dkim in facts["dkim"]:
        record = _txt(zone, f"{dkim['selector']}._domainkey.{d}")[0]
        key = load_der_public_key(base64.b64decode(record.split("p=", 1)[1]))
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == dkim["bits"]
    mx_hosts = [_rdata("MX", v).exchange.to_text().rstrip(".") for v in zone[d]["MX"]]
    assert mx_hosts == [m["host"] for m in facts["mx"]] and all(_resolve_a(zone, h) for h in mx_hosts)
    assert _txt(zone, f"_mta-sts.{d}") == [facts["mta_sts"]["record"]]
    assert _txt(zone, f"_smtp._tls.{d}") == [facts["tls_rpt"]]
    assert zone[d]["CAA"] == facts["caa"]
    assert zone[f"status.{d}"]["CNAME"][0].rstrip(".").endswith(".stspg-customer.com")
    apex_txt = _txt(zone, d)
    assert all(token["record"] in apex_txt for token in facts["verification_tokens"])
    assert any(t.startswith("google-site-verification=") for t in apex_txt)
    assert any(t.startswith("atlassian-domain-verification=") for t in apex_txt)
    policy = _body(site, facts["mta_sts"]["policy_url"]).decode()
    assert "mode: enforce" in policy and "version: STSv1" in policy


def test_hostile_pages_are_planted_and_linked_only_from_labs(site: Site) -> None:
    hostile = site.manifest["hostile"]
    assert hostile is not None and len(hostile["pages"]) == 8
    by_name = {p["name"]: p for p in hostile["pages"]}
    response = {name: _lookup(site, p["url"]) for name, p in by_name.items()}
    assert response["slow_drip"].behaviour == "drip"
    assert response["rate_limited"].behaviour == "throttle"
    assert response["server_error"].status == 500
    assert response["redirect_loop"].status == 302
    assert len(response["oversized"].body) >= 8 * 1024 * 1024
    bomb = response["gzip_bomb"]
    assert bomb.header("Content-Encoding") == "gzip" and len(bomb.body) < 1024 * 1024
    inflater, inflated, data = zlib.decompressobj(31), 0, bomb.body
    while data:
        inflated += len(inflater.decompress(data, 1 << 20))
        data = inflater.unconsumed_tail
    assert inflated > 100 * 1024 * 1024
    with pytest.raises(UnicodeDecodeError):
        response["binary_as_html"].body.decode()
    labs = _body(site, hostile["index"])
    assert {p["url"] for p in hostile["pages"]} <= set(_links(labs, hostile["index"]))
    assert hostile["index"] in _links(_body(site, site.manifest["home"]), site.manifest["home"])
    assert build_site(port=PORT, pages=30).manifest["hostile"] is None


def _lookup(site: Site, url: str) -> SiteResponse:
    parts = urlsplit(url)
    response = site.lookup(parts.netloc, parts.path)
    assert response is not None
    return response
