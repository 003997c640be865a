"""Every literal of docs/fetch-safety.md §5 and §6, the control cases and the allow-list rules (§7).

Pure classification: nothing here connects to anything.
"""

from __future__ import annotations

import pytest

from techscaniq.errors import FetchRefused
from techscaniq.evidence.addresses import (
    check_resolved_addresses,
    classify_address,
    is_in_networks,
    normalize_and_check_url,
)

TEST_ALLOW_NETWORKS = ("127.0.0.0/24",)

IPV4_REFUSED = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "100.100.100.200",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "169.254.170.2",
    "192.0.0.8",
    "192.0.0.9",
    "192.0.0.170",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "192.88.99.1",
    "198.18.0.1",
    "198.19.255.255",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
]

IPV6_REFUSED = [
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "::127.0.0.1",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::a00:1",
    "100::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:10::1",
    "2001:20::1",
    "2001:db8::1",
    "3fff::1",
    "2002:7f00:1::",
    "2002:a00:1::",
    "2002:a9fe:a9fe::",
    "fd00:ec2::254",
    "fc00::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
]

# §6: literals on which Python's own flags mislead.
PYTHON_FLAG_PITFALLS = [
    "192.0.0.8",
    "192.0.0.9",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::",
    "::ffff:100.64.0.1",
    "::127.0.0.1",
    "fec0::1",
    "3fff::1",
    "192.88.99.1",
    "::ffff:127.0.0.1",
    "100.64.0.1",
    "100.100.100.200",
]

ALLOWED_CONTROLS = [
    "8.8.8.8",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::",
]

METADATA = ["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"]


@pytest.mark.parametrize("ip", IPV4_REFUSED + IPV6_REFUSED)
def test_every_blocked_literal_is_refused(ip: str) -> None:
    assert classify_address(ip) is not None


@pytest.mark.parametrize("ip", PYTHON_FLAG_PITFALLS)
def test_python_flag_pitfalls_are_refused(ip: str) -> None:
    assert classify_address(ip) is not None


@pytest.mark.parametrize("ip", IPV4_REFUSED + IPV6_REFUSED)
def test_blocked_literals_are_refused_as_url_hosts(ip: str) -> None:
    host = f"[{ip}]" if ":" in ip else ip
    with pytest.raises(FetchRefused) as refused:
        normalize_and_check_url(f"http://{host}/")
    assert refused.value.code == "ssrf_blocked_address"


@pytest.mark.parametrize("ip", ALLOWED_CONTROLS)
def test_public_addresses_are_allowed(ip: str) -> None:
    assert classify_address(ip) is None


@pytest.mark.parametrize("ip", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111"])
def test_public_literals_pass_as_url_hosts(ip: str) -> None:
    host = f"[{ip}]" if ":" in ip else ip
    checked = normalize_and_check_url(f"https://{host}/x")
    assert checked.is_ip_literal and checked.host == ip and checked.port == 443


@pytest.mark.parametrize(
    ("ip", "embedded"),
    [
        ("::ffff:7f00:1", "127.0.0.1"),
        ("64:ff9b::a00:1", "10.0.0.1"),
        ("2002:a9fe:a9fe::", "169.254.169.254"),
        ("2002:a00:1::", "10.0.0.1"),
    ],
)
def test_embedded_ipv4_is_named_in_the_reason(ip: str, embedded: str) -> None:
    reason = classify_address(ip)
    assert reason is not None and embedded in reason


def test_reason_names_the_block() -> None:
    assert classify_address("100.64.0.1") == "100.64.0.1 is shared address space (CGNAT) (100.64.0.0/10)"


@pytest.mark.parametrize("ip", METADATA)
def test_metadata_addresses_are_never_allowed(ip: str) -> None:
    everything = ("0.0.0.0/0", "::/0")
    reason = classify_address(ip, everything)
    assert reason is not None and "metadata" in reason


def test_mapped_metadata_is_never_allowed() -> None:
    assert classify_address("::ffff:169.254.169.254", ("::/0", "0.0.0.0/0")) is not None


def test_allow_list_widens_exactly_its_networks() -> None:
    assert classify_address("127.0.0.1", TEST_ALLOW_NETWORKS) is None
    assert classify_address("127.0.0.255", TEST_ALLOW_NETWORKS) is None
    assert classify_address("127.0.1.1", TEST_ALLOW_NETWORKS) is not None
    assert classify_address("10.0.0.1", TEST_ALLOW_NETWORKS) is not None
    assert classify_address("::1", TEST_ALLOW_NETWORKS) is not None
    assert classify_address("::1", ("::1/128",)) is None


def test_ipv4_mapped_address_inside_the_allow_list() -> None:
    assert is_in_networks("::ffff:127.0.0.1", TEST_ALLOW_NETWORKS)
    assert not is_in_networks("::ffff:127.0.1.1", TEST_ALLOW_NETWORKS)


@pytest.mark.parametrize("text", ["", "not-an-ip", "127.1", "2130706433", "0177.0.0.1", "fe80::1%eth0"])
def test_non_addresses_and_zone_ids_are_refused(text: str) -> None:
    assert classify_address(text) is not None


def test_resolved_answers_refused_when_any_is_blocked() -> None:
    checked = normalize_and_check_url("https://shop.example-company.com/")
    check_resolved_addresses(checked, ["8.8.8.8", "2606:4700:4700::1111"], ())
    with pytest.raises(FetchRefused) as refused:
        check_resolved_addresses(checked, ["8.8.8.8", "10.0.0.1"], ())
    assert refused.value.code == "ssrf_blocked_address"
    with pytest.raises(FetchRefused):
        check_resolved_addresses(checked, [], ())


def test_special_name_needs_every_answer_inside_the_allow_list() -> None:
    checked = normalize_and_check_url("http://www.fixture.test/", TEST_ALLOW_NETWORKS)
    assert checked.special_name and checked.allow_list_only
    check_resolved_addresses(checked, ["127.0.0.1"], TEST_ALLOW_NETWORKS)
    with pytest.raises(FetchRefused) as refused:
        check_resolved_addresses(checked, ["127.0.0.1", "8.8.8.8"], TEST_ALLOW_NETWORKS)
    assert refused.value.code == "ssrf_blocked_host"


def test_non_default_port_needs_every_answer_inside_the_allow_list() -> None:
    checked = normalize_and_check_url("http://shop.example-company.com:8081/", TEST_ALLOW_NETWORKS)
    assert checked.allow_list_only and not checked.special_name
    check_resolved_addresses(checked, ["127.0.0.1"], TEST_ALLOW_NETWORKS)
    with pytest.raises(FetchRefused) as refused:
        check_resolved_addresses(checked, ["8.8.8.8"], TEST_ALLOW_NETWORKS)
    assert refused.value.code == "ssrf_port"
