"""The guarded fetch against loopback HTTP(S) servers and the loopback DNS server (docs/fetch-safety.md §2-§4, §7, §8).

Every name resolves through the fixture DNS server; "forbidden" answers are 127.0.1.x, where a tripwire
fails the test on any connection. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.errors import FetchRefused
from techscaniq.evidence.fetch import (
    ACCEPT_ENCODING,
    GuardedFetcher,
    ResourceKind,
    open_checked_connection,
    parse_retry_after,
    registrable_domain,
)
from tests.support.dns_fixtures import Tripwire
from tests.support.http_servers import (
    LoopbackHTTPServer,
    declared_length,
    gzip_bomb,
    many_headers,
    redirect,
    redirect_with_endless_body,
    respond,
    sequence,
    slow_drip,
    slow_headers,
)

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)
MIB = 1024 * 1024


def unique_name(label: str, suffix: str = "example-company.com") -> str:
    """A name no other test uses in the shared fixture DNS zone."""
    return f"{label}-{uuid.uuid4().hex[:8]}.{suffix}"


@pytest.fixture
def settings(fixture_dns: LoopbackDNSServer) -> Settings:
    return Settings().with_overrides(allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,))


@pytest.fixture
def server() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer() as running:
        yield running


@pytest.fixture
def fetcher(settings: Settings) -> Iterator[GuardedFetcher]:
    with GuardedFetcher(settings, backoff_base_seconds=0.01, deadline_seconds=5.0) as guarded:
        yield guarded


@pytest.fixture
def site(fixture_dns: LoopbackDNSServer, server: LoopbackHTTPServer) -> str:
    """A public-looking name answering the loopback server's address."""
    name = unique_name("shop")
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    return name


# -- plain fetches ---------------------------------------------------------------------------------------------


def test_fetch_over_http(
    fetcher: GuardedFetcher,
    server: LoopbackHTTPServer,
    site: str,
    fixture_dns: LoopbackDNSServer,
    settings: Settings,
) -> None:
    server.route(
        "/",
        respond(
            200,
            "<h1>caf\u00e9</h1>".encode(),
            headers=[("Set-Cookie", "a=1"), ("X-Frame-Options", "DENY"), ("Set-Cookie", "b=2")],
        ),
    )
    result = fetcher.fetch(server.url("/#section", site))

    assert result.ok, result.error_message
    assert result.status == 200 and result.error_code is None
    assert result.final_url == f"http://{site}:{server.port}/"
    assert result.text == "<h1>caf\u00e9</h1>"
    assert result.content_type == "text/html" and result.charset == "utf-8"
    assert result.header_values("set-cookie") == ["a=1", "b=2"]
    assert result.header("x-frame-options") == "DENY"
    assert [key for key, _ in result.headers if key.lower() == "set-cookie"] == ["Set-Cookie", "Set-Cookie"]
    assert result.ip == "127.0.0.1" and result.http_version == "HTTP/1.1"
    assert result.attempts == 1 and result.redirects == []
    assert result.decoded_bytes == len(result.body) and result.encoded_bytes == len(result.body)
    assert {"dns_ms", "connect_ms", "first_byte_ms", "total_ms"} <= set(result.timings)
    seen = server.seen("/")[0]
    assert seen.header("Host") == f"{site}:{server.port}"
    assert seen.header("User-Agent") == settings.user_agent
    assert seen.header("Accept-Encoding") == ACCEPT_ENCODING
    assert seen.header("Cookie") is None
    assert (site, "A") in fixture_dns.queries and (site, "AAAA") in fixture_dns.queries


def test_answers_are_cached_and_connections_reused(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str, fixture_dns: LoopbackDNSServer
) -> None:
    server.route("/", respond())
    first = fetcher.fetch(server.url("/", site))
    second = fetcher.fetch(server.url("/", site))
    assert first.ok and second.ok
    assert fixture_dns.queries.count((site, "A")) == 1
    assert second.timings["connect_ms"] == 0.0


def test_head_reads_no_body(fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/", respond(200, b"x" * 1000))
    result = fetcher.fetch(server.url("/", site), method="HEAD")
    assert result.ok and result.body == b"" and result.header("content-length") == "1000"
    assert server.seen("/")[0].method == "HEAD"


def test_binary_content_type_is_recorded(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    payload = bytes(range(256)) * 4
    server.route("/file.bin", respond(200, payload, "application/octet-stream"))
    result = fetcher.fetch(server.url("/file.bin", site), ResourceKind.OTHER)
    assert result.ok and result.content_type == "application/octet-stream" and result.body == payload


def test_not_found_is_data_not_an_error(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    result = fetcher.fetch(server.url("/missing", site))
    assert result.status == 404 and result.error_code is None and not result.ok and result.attempts == 1


def test_environment_proxies_are_ignored(
    fetcher: GuardedFetcher,
    server: LoopbackHTTPServer,
    site: str,
    tripwire: Tripwire,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = f"http://{tripwire.host}:{tripwire.port}"
    for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(variable, proxy)
    server.route("/", respond())
    assert fetcher.fetch(server.url("/", site)).ok


def test_concurrent_fetches_from_threads(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    for i in range(16):
        server.route(f"/page/{i}", respond(200, f"page {i}".encode()))
    results: dict[int, str] = {}

    def fetch(i: int) -> None:
        results[i] = fetcher.fetch(server.url(f"/page/{i}", site)).text

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: f"page {i}" for i in range(16)}


# -- HTTPS ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(certificate_authority: trustme.CA) -> Iterator[tuple[LoopbackHTTPServer, str]]:
    name = unique_name("secure")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert(name).configure_cert(context)
    with LoopbackHTTPServer(tls_context=context) as running:
        yield running, name


@pytest.fixture
def ca_bundle(certificate_authority: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return str(path)


def test_fetch_over_https_checks_the_name_on_the_pinned_address(
    settings: Settings,
    fixture_dns: LoopbackDNSServer,
    tls_server: tuple[LoopbackHTTPServer, str],
    ca_bundle: str,
) -> None:
    server, name = tls_server
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    server.route("/", respond(200, b"secure"))
    with GuardedFetcher(settings, ca_bundle=ca_bundle) as fetcher:
        result = fetcher.fetch(server.url("/", name))
    assert result.ok, result.error_message
    assert result.body == b"secure" and result.ip == "127.0.0.1"
    assert result.timings["connect_ms"] > 0
    assert server.seen("/")[0].header("Host") == f"{name}:{server.port}"


def test_https_refuses_a_certificate_for_another_name(
    settings: Settings,
    fixture_dns: LoopbackDNSServer,
    tls_server: tuple[LoopbackHTTPServer, str],
    ca_bundle: str,
) -> None:
    server, _ = tls_server
    other = unique_name("other")
    fixture_dns.set_records(other, "A", ["127.0.0.1"])
    with GuardedFetcher(settings, ca_bundle=ca_bundle) as fetcher:
        result = fetcher.fetch(server.url("/", other))
    assert result.error_code == "tls_error" and result.attempts == 1


def test_https_uses_the_public_trust_store_by_default(
    settings: Settings, fixture_dns: LoopbackDNSServer, tls_server: tuple[LoopbackHTTPServer, str]
) -> None:
    server, name = tls_server
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    with GuardedFetcher(settings) as fetcher:
        assert fetcher.fetch(server.url("/", name)).error_code == "tls_error"


# -- redirects --------------------------------------------------------------------------------------------------


def test_redirect_chain_with_relative_location(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/start", redirect_with_endless_body("/middle"))  # its body would hang us if read
    server.route("/middle", redirect("end?x=1", 307))
    server.route("/end?x=1", respond(200, b"arrived"))
    result = fetcher.fetch(server.url("/start", site))
    assert result.ok, result.error_message
    assert result.body == b"arrived"
    assert result.final_url == f"http://{site}:{server.port}/end?x=1"
    base = f"http://{site}:{server.port}"
    assert [(hop.url, hop.status, hop.ip) for hop in result.redirects] == [
        (f"{base}/start", 301, "127.0.0.1"),
        (f"{base}/middle", 307, "127.0.0.1"),
    ]


def test_too_many_redirects(fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str) -> None:
    for i in range(10):
        server.route(f"/hop/{i}", redirect(f"/hop/{i + 1}"))
    result = fetcher.fetch(server.url("/hop/0", site))
    assert result.error_code == "too_many_redirects"
    assert len(result.redirects) == 6 and result.status == 302
    assert len(server.seen()) == 6


def test_redirect_loop(fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/a", redirect("/b"))
    server.route("/b", redirect(server.url("/a", site)))
    result = fetcher.fetch(server.url("/a", site))
    assert result.error_code == "redirect_loop" and len(result.redirects) == 2


def test_each_redirect_target_is_checked_again(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str, tripwire: Tripwire
) -> None:
    server.route("/", redirect(f"http://127.0.1.1:{tripwire.port}/"))
    server.route("/file", redirect("file:///etc/passwd"))
    server.route("/meta", redirect("http://169.254.169.254/latest/meta-data/"))
    assert fetcher.fetch(server.url("/", site)).error_code == "ssrf_blocked_address"
    assert fetcher.fetch(server.url("/file", site)).error_code == "ssrf_scheme"
    assert fetcher.fetch(server.url("/meta", site)).error_code == "ssrf_blocked_address"


def test_cookies_follow_a_chain_only_within_one_registrable_domain(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, fixture_dns: LoopbackDNSServer
) -> None:
    tag = uuid.uuid4().hex[:8]
    one_a, one_www, two, one_back = (
        f"a.one-{tag}.com",
        f"www.one-{tag}.com",
        f"two-{tag}.com",
        f"c.one-{tag}.com",
    )
    for name in (one_a, one_www, two, one_back):
        fixture_dns.set_records(name, "A", ["127.0.0.1"])
    server.route(
        "/set",
        redirect(
            server.url("/same", one_www), headers=[("Set-Cookie", f"wide=1; Domain=one-{tag}.com; Path=/")]
        ),
        name=one_a,
    )
    server.route("/same", redirect(server.url("/away", two)), name=one_www)
    server.route("/away", redirect(server.url("/back", one_back)), name=two)
    server.route("/back", respond(200, b"done"), name=one_back)

    result = fetcher.fetch(server.url("/set", one_a))

    assert result.ok, result.error_message
    cookies = {request.path: request.header("Cookie") for request in server.seen()}
    assert cookies == {"/set": None, "/same": "wide=1", "/away": None, "/back": None}


def test_registrable_domain() -> None:
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("a.b.fixture.test") == "fixture.test"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"


# -- SSRF: forbidden answers never get a connection -------------------------------------------------------------


def test_name_answering_a_forbidden_address_is_refused(
    fetcher: GuardedFetcher, fixture_dns: LoopbackDNSServer, tripwire: Tripwire
) -> None:
    name = unique_name("evil")
    fixture_dns.set_records(name, "A", ["127.0.1.1"])
    result = fetcher.fetch(f"http://{name}:{tripwire.port}/")
    assert result.error_code == "ssrf_blocked_address" and result.status is None and result.ip is None
    tripwire.assert_untouched()


def test_one_forbidden_answer_among_allowed_ones_refuses_the_name(
    fetcher: GuardedFetcher, fixture_dns: LoopbackDNSServer, tripwire: Tripwire
) -> None:
    name = unique_name("mixed")
    fixture_dns.set_records(name, "A", ["127.0.0.1", "127.0.1.1"])
    assert fetcher.fetch(f"http://{name}:{tripwire.port}/").error_code == "ssrf_blocked_address"
    aaaa_name = unique_name("mixed6")
    fixture_dns.set_records(aaaa_name, "A", ["127.0.0.1"])
    fixture_dns.set_records(aaaa_name, "AAAA", ["::1"])
    assert fetcher.fetch(f"http://{aaaa_name}:{tripwire.port}/").error_code == "ssrf_blocked_address"


def test_dns_rebinding_is_pinned_within_the_cache(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, fixture_dns: LoopbackDNSServer
) -> None:
    name = unique_name("rebind")
    fixture_dns.set_sequence(name, "A", [["127.0.0.1"], ["127.0.1.1"]])
    server.route("/", respond(200, b"real"))
    with tripwire_on(server.port) as wire:
        first = fetcher.fetch(server.url("/", name))
        second = fetcher.fetch(server.url("/", name))
        assert first.ok and first.ip == "127.0.0.1"
        assert second.ok and second.ip == "127.0.0.1"
        wire.assert_untouched()


def test_dns_rebinding_is_refused_after_the_answer_expires(
    settings: Settings, server: LoopbackHTTPServer
) -> None:
    name = unique_name("rebind0")
    server.route("/", respond(200, b"real"))
    with LoopbackDNSServer(ttl_seconds=0) as dns_server, tripwire_on(server.port) as wire:
        dns_server.set_sequence(name, "A", [["127.0.0.1"], ["127.0.1.1"]])
        with GuardedFetcher(settings.with_overrides(dns_servers=(dns_server.address,))) as fetcher:
            first = fetcher.fetch(server.url("/", name))
            second = fetcher.fetch(server.url("/", name))
        assert first.ok and first.ip == "127.0.0.1"
        assert second.error_code == "ssrf_blocked_address"
        assert len(server.seen("/")) == 1
        wire.assert_untouched()


@contextlib.contextmanager
def tripwire_on(port: int) -> Iterator[Tripwire]:
    """A tripwire on 127.0.1.1 at a loopback server's port, so a client that resolves again would hit it."""
    wire = Tripwire(port=port)
    try:
        yield wire
    finally:
        wire.close()
    wire.assert_untouched()


def test_loopback_is_refused_by_default(
    fixture_dns: LoopbackDNSServer, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond())
    default = Settings().with_overrides(dns_servers=(fixture_dns.address,))
    with GuardedFetcher(default) as fetcher:
        assert fetcher.fetch(server.url("/")).error_code == "ssrf_blocked_address"
        assert fetcher.fetch(f"http://{site}/").error_code == "ssrf_blocked_address"
        assert fetcher.fetch(server.url("/", site)).error_code == "ssrf_port"
        assert fetcher.fetch("http://www.fixture.test/").error_code == "ssrf_blocked_host"
    with GuardedFetcher(Settings()) as fetcher:  # the process default resolver: the fixture server
        assert fetcher.fetch(f"http://{site}/").error_code == "ssrf_blocked_address"
    assert server.seen() == []


def test_special_names_are_fetched_only_inside_the_allow_list(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, fixture_dns: LoopbackDNSServer
) -> None:
    inside, outside = unique_name("www", "fixture.test"), unique_name("out", "fixture.test")
    fixture_dns.set_records(inside, "A", ["127.0.0.1"])
    fixture_dns.set_records(outside, "A", ["127.0.1.1"])
    server.route("/", respond())
    assert fetcher.fetch(server.url("/", inside)).ok
    assert fetcher.fetch(server.url("/", outside)).error_code == "ssrf_blocked_address"


def test_refusals_before_any_lookup(fetcher: GuardedFetcher, fixture_dns: LoopbackDNSServer) -> None:
    fixture_dns.clear_queries()
    assert fetcher.fetch("ftp://example-company.com/").error_code == "ssrf_scheme"
    assert fetcher.fetch("http://user:pw@example-company.com/").error_code == "ssrf_userinfo"
    assert fetcher.fetch("http://127.1/").error_code == "ssrf_blocked_address"
    assert fetcher.fetch("http://169.254.169.254/").error_code == "ssrf_blocked_address"
    assert fetcher.fetch("http://metadata.google.internal/").error_code == "ssrf_blocked_host"
    assert fetcher.fetch("http://8.8.8.8:8080/").error_code == "ssrf_port"
    assert fixture_dns.queries == []


def test_guard_owned_headers_and_methods_are_refused(fetcher: GuardedFetcher) -> None:
    with pytest.raises(ValueError):
        fetcher.fetch("http://example-company.com/", method="POST")
    with pytest.raises(ValueError):
        fetcher.fetch("http://example-company.com/", headers={"Authorization": "Bearer x"})


# -- DNS failures -----------------------------------------------------------------------------------------------


def test_unknown_name_is_nxdomain(fetcher: GuardedFetcher) -> None:
    result = fetcher.fetch(f"http://{unique_name('missing')}/")
    assert result.error_code == "dns_nxdomain" and result.attempts == 1


def test_silent_dns_server_times_out(settings: Settings) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        with GuardedFetcher(
            settings.with_overrides(dns_servers=(address,)), dns_timeout_seconds=0.3
        ) as fetcher:
            assert fetcher.fetch("http://slow-dns.example-company.com/").error_code == "dns_timeout"
    finally:
        silent.close()


def test_resolve_returns_checked_answers(fetcher: GuardedFetcher, fixture_dns: LoopbackDNSServer) -> None:
    name = unique_name("resolve")
    fixture_dns.set_records(name, "A", ["127.0.0.1", "127.0.0.2"])
    assert sorted(fetcher.resolve(name.upper() + ".")) == ["127.0.0.1", "127.0.0.2"]
    bad = unique_name("resolve-bad")
    fixture_dns.set_records(bad, "A", ["127.0.1.1"])
    with pytest.raises(FetchRefused):
        fetcher.resolve(bad)


# -- sizes and time ---------------------------------------------------------------------------------------------


def test_gzip_bomb_is_capped_after_decompression(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/bomb", gzip_bomb(40 * MIB))
    result = fetcher.fetch(server.url("/bomb", site), ResourceKind.ROBOTS)
    cap = ResourceKind.ROBOTS.max_decoded_bytes
    assert result.error_code == "body_too_large" and result.truncated
    assert len(result.body) == cap and result.status == 200
    assert result.encoded_bytes < 1 * MIB


def test_small_gzip_body_is_decoded(fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/small", gzip_bomb(1000))
    result = fetcher.fetch(server.url("/small", site))
    assert result.ok and result.body == b"\0" * 1000 and result.encoded_bytes < 1000


def test_content_length_over_the_cap_is_refused_before_reading(
    fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/huge", declared_length(6 * MIB))
    result = fetcher.fetch(server.url("/huge", site))
    assert result.error_code == "body_too_large" and result.truncated
    assert result.body == b"" and result.encoded_bytes == 0 and result.status == 200


def test_configured_cap(settings: Settings, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/declared", respond(200, b"x" * 5000))
    server.route("/compressed", gzip_bomb(5000))
    with GuardedFetcher(settings, max_body_bytes=1000) as fetcher:
        declared = fetcher.fetch(server.url("/declared", site))
        compressed = fetcher.fetch(server.url("/compressed", site))
    assert declared.error_code == "body_too_large" and declared.body == b""
    assert compressed.error_code == "body_too_large" and compressed.body == b"\0" * 1000


def test_slow_drip_body_is_cut_by_the_total_deadline(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/drip", slow_drip())
    with GuardedFetcher(settings, deadline_seconds=0.6, read_timeout_seconds=5.0) as fetcher:
        result = fetcher.fetch(server.url("/drip", site))
    assert result.error_code == "deadline_exceeded" and result.truncated
    assert 0 < len(result.body) < 10_000 and result.attempts == 1


def test_slow_drip_headers_are_cut_by_the_total_deadline(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/drip-headers", slow_headers())
    with GuardedFetcher(settings, deadline_seconds=0.6, read_timeout_seconds=5.0) as fetcher:
        result = fetcher.fetch(server.url("/drip-headers", site))
    assert result.error_code == "deadline_exceeded" and result.status is None


def test_each_request_waiting_for_headers_is_cut_at_its_own_deadline(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/drip-headers", slow_headers())
    server.route("/ok", respond(200, b"ok"))
    outcomes: dict[str, tuple[str | None, float]] = {}

    def fetch_slowly(name: str, deadline: float) -> None:
        with GuardedFetcher(settings, deadline_seconds=deadline, read_timeout_seconds=5.0) as fetcher:
            started = time.monotonic()
            result = fetcher.fetch(server.url("/drip-headers", site))
            outcomes[name] = (result.error_code, time.monotonic() - started)

    # The later deadline is watched first, so the nearer one must wake the one watchdog early.
    late = threading.Thread(target=fetch_slowly, args=("late", 2.5))
    late.start()
    time.sleep(0.2)
    early = threading.Thread(target=fetch_slowly, args=("early", 0.6))
    early.start()
    with GuardedFetcher(settings, deadline_seconds=5.0) as fetcher:
        answered = fetcher.fetch(server.url("/ok", site))  # headers in time: never cut
    early.join(timeout=10)
    assert outcomes["early"][0] == "deadline_exceeded" and "late" not in outcomes
    late.join(timeout=10)
    assert outcomes["late"][0] == "deadline_exceeded"
    assert answered.ok and answered.body == b"ok"


def test_too_many_response_headers(fetcher: GuardedFetcher, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/headers", many_headers(150))
    result = fetcher.fetch(server.url("/headers", site))
    assert result.error_code == "invalid_response" and result.attempts == 1


def test_resource_kinds_carry_the_table_of_limits() -> None:
    assert ResourceKind.HTML.max_decoded_bytes == 5 * MIB and ResourceKind.HTML.deadline_seconds == 20
    assert ResourceKind.ROBOTS.max_decoded_bytes == 512 * 1024 and ResourceKind.ROBOTS.deadline_seconds == 10
    assert ResourceKind.SITEMAP.max_decoded_bytes == 50 * MIB and ResourceKind.SITEMAP.deadline_seconds == 60
    assert ResourceKind.JSON.max_decoded_bytes == 10 * MIB
    assert ResourceKind.SECURITY_TXT.max_decoded_bytes == 64 * 1024
    assert {kind.value for kind in ResourceKind} == {
        "html",
        "robots",
        "sitemap",
        "json",
        "security_txt",
        "other",
    }


# -- retries and the circuit breaker ----------------------------------------------------------------------------


def recording_fetcher(settings: Settings, sleeps: list[float], **options: Any) -> GuardedFetcher:
    return GuardedFetcher(
        settings, backoff_base_seconds=0.25, deadline_seconds=5.0, sleep=sleeps.append, **options
    )


def test_429_with_retry_after_is_retried(settings: Settings, server: LoopbackHTTPServer, site: str) -> None:
    server.route(
        "/", sequence([respond(429, b"slow down", headers=[("Retry-After", "2")]), respond(200, b"ok")])
    )
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.ok and result.body == b"ok" and result.attempts == 2
    assert sleeps == [2.0]


def test_retry_after_over_sixty_seconds_gives_up(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(429, b"come back later", headers=[("Retry-After", "120")]))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.error_code == "http_429_gave_up" and result.status == 429
    assert result.attempts == 1 and sleeps == [] and result.body == b"come back later"
    assert "120" in (result.error_message or "")


def test_retry_after_past_the_deadline_gives_up(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(503, b"busy", headers=[("Retry-After", "30")]))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.error_code == "http_503_gave_up" and result.attempts == 1 and sleeps == []


def test_server_errors_are_retried_twice_then_recorded(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(500, b"oops"))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.status == 500 and result.error_code == "http_500_gave_up" and result.body == b"oops"
    assert result.attempts == 3 and len(server.seen("/")) == 3
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.25 and 0 <= sleeps[1] <= 0.5


def test_server_error_then_success(settings: Settings, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/", sequence([respond(502), respond(408), respond(200, b"fine")]))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.ok and result.attempts == 3


def test_other_client_errors_are_not_retried(
    settings: Settings, server: LoopbackHTTPServer, site: str
) -> None:
    server.route("/", respond(403, b"no"))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        result = fetcher.fetch(server.url("/", site))
    assert result.status == 403 and result.attempts == 1 and result.error_code is None


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_retried_then_the_circuit_opens(
    settings: Settings, fixture_dns: LoopbackDNSServer
) -> None:
    name = unique_name("down")
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    url = f"http://{name}:{closed_port()}/"
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        failures = [fetcher.fetch(url) for _ in range(5)]
        assert {result.error_code for result in failures} == {"connect_failed"}
        assert all(result.attempts == 3 for result in failures)
        blocked = fetcher.fetch(url)
    assert blocked.error_code == "circuit_open" and blocked.attempts == 0


def test_a_probe_is_not_retried_when_refused_but_is_retried_once_on_a_server_error(
    settings: Settings, fixture_dns: LoopbackDNSServer, server: LoopbackHTTPServer, site: str
) -> None:
    name = unique_name("closed")
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    server.route("/flaky", sequence([respond(503), respond(503), respond(200)]))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps) as fetcher:
        refused = fetcher.fetch(f"http://{name}:{closed_port()}/", probe=True)
        assert refused.error_code == "connect_failed" and refused.attempts == 1
        assert sleeps == []
        flaky = fetcher.fetch(server.url("/flaky", site), probe=True)
    assert flaky.status == 503 and flaky.attempts == 2 and len(sleeps) == 1


def test_a_success_resets_the_circuit(settings: Settings, server: LoopbackHTTPServer, site: str) -> None:
    server.route("/", sequence([respond(500)] * 12 + [respond(200)]))
    sleeps: list[float] = []
    with recording_fetcher(settings, sleeps, max_retries=0) as fetcher:
        for _ in range(4):
            assert fetcher.fetch(server.url("/", site)).error_code == "http_500_gave_up"
        server.route("/ok", respond(200))
        assert fetcher.fetch(server.url("/ok", site)).ok
        for _ in range(4):
            assert fetcher.fetch(server.url("/", site)).error_code == "http_500_gave_up"
        assert fetcher.fetch(server.url("/", site)).error_code == "http_500_gave_up"
        assert fetcher.fetch(server.url("/", site)).error_code == "circuit_open"


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


# -- the helper for raw TLS handshakes --------------------------------------------------------------------------


def test_open_checked_connection(
    settings: Settings,
    server: LoopbackHTTPServer,
    site: str,
    fixture_dns: LoopbackDNSServer,
    tripwire: Tripwire,
) -> None:
    with open_checked_connection(site, server.port, settings, timeout=2.0) as conn:
        assert conn.getpeername() == ("127.0.0.1", server.port)
    evil = unique_name("evil-tls")
    fixture_dns.set_records(evil, "A", ["127.0.1.1"])
    with pytest.raises(FetchRefused) as refused:
        open_checked_connection(evil, tripwire.port, settings, timeout=2.0)
    assert refused.value.code == "ssrf_blocked_address"
    with pytest.raises(FetchRefused):
        open_checked_connection(site, server.port, Settings(), timeout=2.0)
