"""The loopback DNS server answers from its zone only, over UDP and TCP, with CNAME chasing and sequences."""

from __future__ import annotations

import os
from collections.abc import Iterator

import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer

ZONE = {
    "example-company.test": {
        "A": ["127.0.0.10"],
        "AAAA": ["::1"],
        "MX": ["10 mx.example-company.test."],
        "TXT": ["v=spf1 include:_spf.example-company.test -all", 'google-site-verification=abc "quoted"'],
        "NS": ["ns1.example-company.test."],
        "SOA": ["ns1.example-company.test. hostmaster.example-company.test. 1 3600 600 86400 300"],
        "CAA": ['0 issue "letsencrypt.org"'],
    },
    "www.example-company.test.": {"CNAME": ["edge.example-company.test."]},
    "edge.example-company.test": {"CNAME": ["origin.example-company.test"]},
    "origin.example-company.test": {"A": ["127.0.0.11", "127.0.0.12"]},
    "dangling.example-company.test": {"CNAME": ["gone.elsewhere.test."]},
    "a.b.deep.example-company.test": {"A": ["127.0.0.13"]},
}


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackDNSServer]:
    with LoopbackDNSServer(ZONE, ttl_seconds=30) as running:
        yield running


def resolver_for(server: LoopbackDNSServer) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(server.host, server.port)]
    resolver.lifetime = 2.0
    return resolver


def answers(server: LoopbackDNSServer, name: str, rtype: str) -> list[str]:
    answer = resolver_for(server).resolve(name, rtype, raise_on_no_answer=False)
    return sorted(rdata.to_text() for rdata in answer.rrset) if answer.rrset is not None else []


def test_address_and_port(server: LoopbackDNSServer) -> None:
    assert server.address == f"127.0.0.1:{server.port}" and server.port > 1024


@pytest.mark.parametrize(
    ("rtype", "expected"),
    [
        ("A", ["127.0.0.10"]),
        ("AAAA", ["::1"]),
        ("MX", ["10 mx.example-company.test."]),
        ("NS", ["ns1.example-company.test."]),
        ("CAA", ['0 issue "letsencrypt.org"']),
        ("SOA", ["ns1.example-company.test. hostmaster.example-company.test. 1 3600 600 86400 300"]),
        (
            "TXT",
            [
                '"google-site-verification=abc \\"quoted\\""',
                '"v=spf1 include:_spf.example-company.test -all"',
            ],
        ),
    ],
)
def test_every_record_type(server: LoopbackDNSServer, rtype: str, expected: list[str]) -> None:
    assert answers(server, "example-company.test.", rtype) == expected


def test_names_are_case_insensitive(server: LoopbackDNSServer) -> None:
    assert answers(server, "Example-Company.TEST.", "A") == ["127.0.0.10"]


def test_answers_are_authoritative_with_the_configured_ttl(server: LoopbackDNSServer) -> None:
    query = dns.message.make_query("example-company.test", "A")
    response = dns.query.udp(query, server.host, port=server.port, timeout=2)
    assert response.flags & dns.flags.AA
    assert response.answer[0].ttl == 30


def test_cname_is_chased_within_the_zone(server: LoopbackDNSServer) -> None:
    answer = resolver_for(server).resolve("www.example-company.test", "A")
    assert sorted(rdata.address for rdata in answer) == ["127.0.0.11", "127.0.0.12"]
    assert answer.canonical_name.to_text() == "origin.example-company.test."
    assert answers(server, "www.example-company.test", "CNAME") == ["edge.example-company.test."]


def test_cname_to_a_name_outside_the_zone_is_not_followed(server: LoopbackDNSServer) -> None:
    query = dns.message.make_query("dangling.example-company.test", "A")
    response = dns.query.udp(query, server.host, port=server.port, timeout=2)
    assert response.rcode() == dns.rcode.NOERROR
    assert [rrset.rdtype for rrset in response.answer] == [dns.rdatatype.CNAME]


def test_unknown_name_is_nxdomain(server: LoopbackDNSServer) -> None:
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(server).resolve("nope.example-company.test", "A")


def test_known_name_without_the_type_is_noerror_without_answers(server: LoopbackDNSServer) -> None:
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(server).resolve("origin.example-company.test", "MX")


def test_empty_non_terminal_exists(server: LoopbackDNSServer) -> None:
    with pytest.raises(dns.resolver.NoAnswer):
        resolver_for(server).resolve("b.deep.example-company.test", "A")


def test_tcp(server: LoopbackDNSServer) -> None:
    query = dns.message.make_query("example-company.test", "MX")
    response = dns.query.tcp(query, server.host, port=server.port, timeout=2)
    assert response.answer[0][0].to_text() == "10 mx.example-company.test."


def test_large_answers_are_truncated_over_udp_and_complete_over_tcp(server: LoopbackDNSServer) -> None:
    long_value = "v=DKIM1; k=rsa; p=" + "A" * 600
    server.set_records("big.example-company.test", "TXT", [long_value, "x" * 200, "y" * 200])
    udp = dns.query.udp(
        dns.message.make_query("big.example-company.test", "TXT"), server.host, port=server.port
    )
    assert udp.flags & dns.flags.TC
    answer = resolver_for(server).resolve("big.example-company.test", "TXT")  # retries over TCP
    texts = sorted(b"".join(rdata.strings).decode() for rdata in answer)
    assert texts == sorted([long_value, "x" * 200, "y" * 200])


def test_sequence_gives_successive_answers_and_repeats_the_last(server: LoopbackDNSServer) -> None:
    server.set_sequence("rebind.example-company.test", "A", [["127.0.0.1"], ["127.0.1.1"]])
    seen = [answers(server, "rebind.example-company.test", "A") for _ in range(3)]
    assert seen == [["127.0.0.1"], ["127.0.1.1"], ["127.0.1.1"]]


def test_set_records_replaces_and_removes(server: LoopbackDNSServer) -> None:
    server.set_records("moving.example-company.test", "A", ["127.0.0.20"])
    assert answers(server, "moving.example-company.test", "A") == ["127.0.0.20"]
    server.set_records("moving.example-company.test", "A", ["127.0.0.21"])
    assert answers(server, "moving.example-company.test", "A") == ["127.0.0.21"]
    server.set_records("moving.example-company.test", "A", [])
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver_for(server).resolve("moving.example-company.test", "A")


def test_bad_record_text_is_refused_when_set(server: LoopbackDNSServer) -> None:
    with pytest.raises(dns.exception.SyntaxError):
        server.set_records("bad.example-company.test", "A", ["not-an-address"])


def test_query_log(server: LoopbackDNSServer) -> None:
    server.clear_queries()
    answers(server, "Example-Company.test", "AAAA")
    assert server.queries == [("example-company.test", "AAAA")]


def test_context_manager_stops_the_server() -> None:
    with LoopbackDNSServer({"x.example.test": {"A": ["127.0.0.1"]}}) as running:
        port = running.port
        assert answers(running, "x.example.test", "A") == ["127.0.0.1"]
    with pytest.raises(RuntimeError):
        _ = running.port
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    with pytest.raises(dns.exception.DNSException):
        resolver.resolve("x.example.test", "A", lifetime=0.5)


def test_the_fixture_points_every_resolver_at_the_fixture_server(fixture_dns: LoopbackDNSServer) -> None:
    assert os.environ["TECHSCANIQ_DNS_SERVERS"] == fixture_dns.address
    fixture_dns.set_records("fixture-check.example-company.com", "A", ["127.0.0.30"])
    answer = dns.resolver.resolve("fixture-check.example-company.com", "A")
    assert [rdata.address for rdata in answer] == ["127.0.0.30"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        dns.resolver.resolve("example.com", "A")  # nothing is forwarded off the machine
