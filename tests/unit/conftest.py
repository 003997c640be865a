"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.fetch import GuardedFetcher
from tests.support.collectors import offline_settings


@pytest.fixture
def offline_fetcher(fixture_dns: LoopbackDNSServer) -> Iterator[GuardedFetcher]:
    """A real guarded fetcher that can reach nothing (no allowed networks; names from the fixture DNS)."""
    with GuardedFetcher(offline_settings(fixture_dns.address), max_retries=0) as fetcher:
        yield fetcher
