"""DNS evidence never discloses non-public addresses a (split-horizon) resolver hands out, and says so."""

from __future__ import annotations

import json

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.domain import EvidenceType
from techscaniq.evidence.collectors.dns_email import REDACTED_ADDRESS, DnsEmailCollector, redact_addresses
from techscaniq.evidence.fetch import GuardedFetcher
from tests.integration.test_collectors_dns_email import TEST_ALLOW_NETWORKS, make_context

pytestmark = pytest.mark.integration


def test_only_global_addresses_or_allowed_networks_are_kept() -> None:
    values, redacted = redact_addresses(
        ["93.184.216.34", "10.1.2.3", "fd00::1", "127.0.0.5"], ["127.0.0.0/24"]
    )
    assert values == ("93.184.216.34", "127.0.0.5", REDACTED_ADDRESS, REDACTED_ADDRESS) and redacted == 2


def test_internal_records_of_a_split_horizon_resolver_are_redacted(fixture_dns: LoopbackDNSServer) -> None:
    apex = "split-horizon.test"
    fixture_dns.set_records(apex, "A", ["93.184.216.34", "10.20.30.40"])
    fixture_dns.set_records(f"www.{apex}", "A", ["192.168.77.7"])
    fixture_dns.set_records(f"vpn.{apex}", "AAAA", ["fd12:3456::99"])
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with GuardedFetcher(settings) as fetcher:
        items = list(
            DnsEmailCollector().finish(make_context(fetcher, settings, f"https://www.{apex}/", apex))
        )
    records = [i for i in items if i.type is EvidenceType.DNS_RECORDS]
    text = json.dumps([[i.title, i.summary, i.data] for i in records])
    for internal in ("10.20.30.40", "192.168.77.7", "fd12:3456::99"):
        assert internal not in text
    assert "93.184.216.34" in text
    by_name = {i.data["name"]: i for i in records}
    assert by_name[apex].data["redacted_non_public_addresses"] == 1
    assert by_name[f"www.{apex}"].data["redacted_non_public_addresses"] == 1
    assert "redacted" in by_name[f"www.{apex}"].summary and "redacted" in by_name[apex].summary
