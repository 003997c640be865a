"""The fixture site served on loopback: every host by Host header, gzip, HEAD, the log and the hostile behaviours."""

from __future__ import annotations

import gzip
import ssl
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import trustme

from techscaniq.demo.server import SiteServer

pytestmark = pytest.mark.integration

TIMEOUT = (2, 5)


@pytest.fixture(scope="module")
def server() -> Iterator[SiteServer]:
    with SiteServer.started(pages=30, include_hostile=True) as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def fetch(
    http: requests.Session, server: SiteServer, url: str, method: str = "GET", **kwargs: Any
) -> requests.Response:
    """Request a site URL from the loopback server, naming its host only in the Host header."""
    parts = urlsplit(url)
    target = server.base_url + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc, **kwargs.pop("headers", {})}
    kwargs.setdefault("allow_redirects", False)
    return http.request(method, target, headers=headers, timeout=TIMEOUT, **kwargs)


def hostile_url(server: SiteServer, name: str) -> str:
    hostile = server.site.manifest["hostile"]
    return next(p["url"] for p in hostile["pages"] if p["name"] == name)


def test_every_page_and_document_is_served(server: SiteServer, http: requests.Session) -> None:
    manifest = server.site.manifest
    urls = [u for urls in manifest["pages"].values() for u in urls] + list(manifest["documents"].values())
    for url in urls:
        response = fetch(http, server, url)
        assert response.status_code == 200, url
        parts = urlsplit(url)
        assert response.content == server.site.lookup(parts.netloc, parts.path).body  # type: ignore[union-attr]


def test_gzip_head_and_headers(server: SiteServer, http: requests.Session) -> None:
    url = server.site.url("www", "/pricing")
    plain = fetch(http, server, url, headers={"Accept-Encoding": "identity"})
    zipped = fetch(http, server, url, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = zipped.raw.read(decode_content=False)
    assert plain.headers.get("Content-Encoding") is None
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content
    head = fetch(http, server, url, method="HEAD", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(plain.content))
    for name, value in server.site.manifest["headers"]["www"].items():
        assert plain.headers[name] == value
    cookies = plain.raw.headers.getlist("Set-Cookie")
    assert cookies == [c["value"] for c in server.site.manifest["cookies"] if c["host"] == "www"]
    gz_sitemap = fetch(
        http, server, server.site.url("www", "/sitemap-blog.xml.gz"), headers={"Accept-Encoding": "gzip"}
    )
    assert "Content-Encoding" not in gz_sitemap.headers
    assert gzip.decompress(gz_sitemap.content).startswith(b"<?xml")


def test_hosts_redirects_unknown_paths_and_cors(server: SiteServer, http: requests.Session) -> None:
    site = server.site
    apex = fetch(http, server, site.url("apex", "/careers"))
    assert apex.status_code == 301 and apex.headers["Location"] == site.url("www", "/careers")
    missing = fetch(http, server, site.url("docs", "/nope"))
    assert missing.status_code == 404 and b"Page not found" in missing.content
    assert missing.headers["Server"] == "cloudflare"
    stranger = http.get(server.base_url + "/", headers={"Host": "stranger.test"}, timeout=TIMEOUT)
    assert stranger.status_code == 421
    preflight = fetch(
        http, server, site.url("api", "/"), method="OPTIONS", headers={"Origin": "https://example.test"}
    )
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    jobs = fetch(http, server, site.manifest["hiring"]["api_url"] + "?content=true")
    assert jobs.json()["meta"]["total"] == len(site.manifest["roles"])


def test_request_log_records_what_was_fetched(server: SiteServer, http: requests.Session) -> None:
    disallowed = server.site.manifest["robots"]["disallowed_urls"][0]
    fetch(http, server, server.site.url("www", "/robots.txt"), headers={"User-Agent": "log-test/1"})
    record = next(r for r in reversed(server.request_log) if r.path == "/robots.txt")
    assert (record.method, record.host, record.status, record.user_agent) == (
        "GET",
        server.site.hosts["www"],
        200,
        "log-test/1",
    )
    assert not server.was_requested(disallowed)
    fetch(http, server, disallowed)
    assert server.was_requested(disallowed)


def test_redirect_loop_oversized_binary_500_and_broken(server: SiteServer, http: requests.Session) -> None:
    loop = hostile_url(server, "redirect_loop")
    first = fetch(http, server, loop)
    second = fetch(http, server, first.headers["Location"])
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == loop
    big = fetch(
        http, server, hostile_url(server, "oversized"), method="HEAD", headers={"Accept-Encoding": "identity"}
    )
    assert int(big.headers["Content-Length"]) >= 8 * 1024 * 1024
    binary = fetch(http, server, hostile_url(server, "binary_as_html"))
    assert binary.headers["Content-Type"].startswith("text/html")
    with pytest.raises(UnicodeDecodeError):
        binary.content.decode()
    flaky = hostile_url(server, "server_error")
    assert [fetch(http, server, flaky).status_code for _ in range(3)] == [500, 500, 500]
    broken = fetch(http, server, hostile_url(server, "broken_html"))
    assert broken.status_code == 200 and b"<!-- an unterminated comment" in broken.content


def test_throttled_page_answers_429_twice_then_200(server: SiteServer, http: requests.Session) -> None:
    server.reset()
    url = hostile_url(server, "rate_limited")
    answers = [fetch(http, server, url) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert b"Forecast sandbox" in answers[2].content


def test_gzip_bomb_is_small_on_the_wire_and_huge_inflated(server: SiteServer, http: requests.Session) -> None:
    response = fetch(http, server, hostile_url(server, "gzip_bomb"), stream=True)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Type"].startswith("text/html")
    wire = response.raw.read(decode_content=False)
    assert len(wire) < 1024 * 1024
    inflater, inflated = zlib.decompressobj(31), 0
    while wire:
        inflated += len(inflater.decompress(wire, 1 << 20))
        wire = inflater.unconsumed_tail
    assert inflated > 100 * 1024 * 1024


def test_drip_sends_one_byte_at_a_time_and_stop_ends_it(http: requests.Session) -> None:
    server = SiteServer.started(pages=30, include_hostile=True)
    try:
        response = fetch(http, server, hostile_url(server, "slow_drip"), stream=True)
        expected = int(response.headers["Content-Length"])
        received = b"".join(response.raw.read(1) for _ in range(3))
        assert received == server.site.lookup(*_host_path(hostile_url(server, "slow_drip"))).body[:3]  # type: ignore[union-attr]
        assert expected > 100
    finally:
        server.stop()
    response.close()


def _host_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc, parts.path


def test_tls_with_a_trustme_certificate(tmp_path: Any, http: requests.Session) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "www.northwind-ledger.test", "*.northwind-ledger.test").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with SiteServer.started(pages=30, tls=context) as server:
        assert server.site.scheme == "https" and server.base_url.startswith("https://")
        response = fetch(http, server, server.site.url("www", "/security"), verify=str(ca_file))
        assert response.status_code == 200
        assert server.site.url("www", "/security") in response.text
