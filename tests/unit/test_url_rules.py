"""The static URL rules of docs/fetch-safety.md §2 and the rule order of §7 (no DNS, no network)."""

from __future__ import annotations

import pytest

from techscaniq.errors import FetchRefused
from techscaniq.evidence.addresses import normalize_and_check_url

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)


def refusal_code(
    url: str, allow_networks: tuple[str, ...] = (), allowed_ports: tuple[int, ...] = (80, 443)
) -> str:
    with pytest.raises(FetchRefused) as refused:
        normalize_and_check_url(url, allow_networks, allowed_ports)
    return refused.value.code


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://example.com/",
        "data:text/html,hi",
        "javascript:alert(1)",
        "ws://example.com/",
        "wss://example.com/",
        "dict://example.com:11211/",
        "example.com",
    ],
)
def test_only_http_and_https(url: str) -> None:
    assert refusal_code(url) == "ssrf_scheme"


def test_scheme_is_case_insensitive() -> None:
    assert normalize_and_check_url("HTTPS://Example.COM/A").url == "https://example.com/A"


@pytest.mark.parametrize(
    "url",
    ["http://example.com:8080/", "http://example.com:22/", "https://example.com:6379/", "http://8.8.8.8:25/"],
)
def test_other_ports_are_refused(url: str) -> None:
    assert refusal_code(url) == "ssrf_port"


def test_configured_ports() -> None:
    checked = normalize_and_check_url("http://example.com:8080/", allowed_ports=(80, 443, 8080, 8443))
    assert checked.port == 8080 and checked.url == "http://example.com:8080/"


@pytest.mark.parametrize("url", ["http://80.com:80/", "https://example.com:443/", "http://example.com:443/"])
def test_default_ports_pass(url: str) -> None:
    normalize_and_check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://user@example.com/",
        "https://:@example.com/",
        "http://example.com\\@127.0.0.1/",
    ],
)
def test_userinfo_is_refused(url: str) -> None:
    assert refusal_code(url) == "ssrf_userinfo"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/" + "a" * 2048,
        "http://" + ".".join(["a" * 60] * 5) + ".com/",
        "http:///path",
        "http://",
        "http://:80/",
        "http://[fe80::1%25eth0]/",
        "http://exa%6dple.com/",
        "http://intranet/",
        "http://example..com/",
        "http://exa mple.com/",
        "http://example.com\\.evil.com/",
        "http://example.com:abc/",
        "http://example.com:0/",
        "http://example.com:99999/",
        "http://example.com:+80/",
        "http://[::1/",
        "http://[not-ipv6]/",
        "http://::1/",
        "http://exa$mple.com/",
        "http://-bad-.com/",
        "http://example.com/\x00",
        "http://example.com\r\n/",
        "http://" + "a" * 64 + ".com/",
    ],
)
def test_malformed_urls_are_invalid(url: str) -> None:
    assert refusal_code(url) == "invalid_url"


def test_url_of_exactly_the_maximum_length_passes() -> None:
    base = "http://example.com/"
    normalize_and_check_url(base + "a" * (2048 - len(base)))


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://LOCALHOST./",
        "http://api.localhost/",
        "http://printer.local/",
        "http://db.internal/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://instance-data/latest/meta-data/",
        "http://router.home.arpa/",
        "http://nas.lan/",
        "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/",
        "http://site.test/",
        "http://site.invalid/",
        "http://www.example/",
    ],
)
def test_special_names_are_refused(url: str) -> None:
    assert refusal_code(url) == "ssrf_blocked_host"


@pytest.mark.parametrize(
    "host",
    [
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "017700000001",
        "0",
        "1.1",
        "127.0.0.01",
        "0x7f.0.0.1",
        "1.2.3.4.5",
    ],
)
def test_non_canonical_ip_spellings_are_refused(host: str) -> None:
    assert refusal_code(f"http://{host}/") == "ssrf_blocked_address"


def test_non_canonical_spellings_are_refused_even_with_an_allow_list() -> None:
    assert refusal_code("http://127.1/", TEST_ALLOW_NETWORKS) == "ssrf_blocked_address"


def test_fullwidth_digits_become_a_checked_address() -> None:
    assert (
        refusal_code("http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11/")
        == "ssrf_blocked_address"
    )


def test_normalisation() -> None:
    checked = normalize_and_check_url("  HTTP://WWW.Example.COM.:80/Path?q=1#frag  ")
    assert checked.url == "http://www.example.com/Path?q=1"
    assert (checked.scheme, checked.host, checked.port) == ("http", "www.example.com", 80)
    assert not checked.is_ip_literal and not checked.special_name
    assert checked.host_header == "www.example.com"


def test_empty_path_becomes_slash_and_spaces_are_quoted() -> None:
    assert normalize_and_check_url("https://example.com").url == "https://example.com/"
    assert normalize_and_check_url("https://example.com/a b?c d").url == "https://example.com/a%20b?c%20d"


def test_idna_encoding() -> None:
    checked = normalize_and_check_url("https://BÜCHER.de/")
    assert checked.host == "xn--bcher-kva.de"
    assert checked.url == "https://xn--bcher-kva.de/"


def test_only_one_trailing_dot_is_stripped() -> None:
    assert refusal_code("http://example.com../") == "invalid_url"


def test_ipv6_literal_is_compressed_and_bracketed() -> None:
    checked = normalize_and_check_url("http://[2606:4700:4700:0:0:0:0:1111]:80/")
    assert checked.host == "2606:4700:4700::1111"
    assert checked.url == "http://[2606:4700:4700::1111]/"
    assert checked.host_header == "[2606:4700:4700::1111]"


def test_underscore_labels_are_accepted() -> None:
    assert normalize_and_check_url("https://my_site.example.com/").host == "my_site.example.com"


# Rule order of §7: address and special-name rules come before the port rule.
def test_loopback_with_a_high_port_is_an_address_refusal_by_default() -> None:
    assert refusal_code("http://127.0.0.1:8123/") == "ssrf_blocked_address"
    assert refusal_code("http://[::1]:8123/") == "ssrf_blocked_address"


def test_special_name_with_a_high_port_is_a_host_refusal_by_default() -> None:
    assert refusal_code("http://localhost:8123/") == "ssrf_blocked_host"


def test_allow_listed_address_may_use_any_port() -> None:
    checked = normalize_and_check_url("http://127.0.0.1:8123/x", TEST_ALLOW_NETWORKS)
    assert checked.port == 8123 and checked.url == "http://127.0.0.1:8123/x"
    assert not checked.allow_list_only


def test_address_outside_the_allow_list_keeps_the_port_rule() -> None:
    assert refusal_code("http://8.8.8.8:8123/", TEST_ALLOW_NETWORKS) == "ssrf_port"
    assert refusal_code("http://127.0.1.1:8123/", TEST_ALLOW_NETWORKS) == "ssrf_blocked_address"


def test_special_names_are_deferred_with_an_allow_list() -> None:
    checked = normalize_and_check_url("http://www.fixture.test:8123/", TEST_ALLOW_NETWORKS)
    assert checked.special_name and checked.allow_list_only and checked.port == 8123


def test_metadata_names_are_refused_even_with_an_allow_list() -> None:
    assert refusal_code("http://metadata.google.internal/", TEST_ALLOW_NETWORKS) == "ssrf_blocked_host"
    assert refusal_code("http://instance-data/", TEST_ALLOW_NETWORKS) == "ssrf_blocked_host"


def test_names_on_other_ports_are_checked_after_dns_with_an_allow_list() -> None:
    checked = normalize_and_check_url("http://shop.example-company.com:8123/", TEST_ALLOW_NETWORKS)
    assert checked.allow_list_only and not checked.special_name


def test_single_label_names_stay_refused_with_an_allow_list() -> None:
    assert refusal_code("http://intranet/", TEST_ALLOW_NETWORKS) == "invalid_url"
