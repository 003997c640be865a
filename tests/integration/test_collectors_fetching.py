"""The collectors' finish() fetches (OpenAPI, Statuspage JSON, ATS listing) through a real GuardedFetcher against
the demo site served on loopback, names resolved by the session's fixture DNS server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.domain import EvidenceType
from techscaniq.evidence.collectors.base import CollectContext
from techscaniq.evidence.collectors.compliance import ComplianceCollector
from techscaniq.evidence.collectors.developer import OPENAPI_PROBE_PATHS, DeveloperCollector
from techscaniq.evidence.collectors.hiring import HiringCollector
from techscaniq.evidence.fetch import GuardedFetcher
from tests.support.collectors import make_context, of_type, run, site_pages

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    with SiteServer.started(pages=30) as running:
        for name, records in running.site.dns_zone().items():
            for rtype, values in records.items():
                fixture_dns.set_records(name, rtype, values)
        yield running


@pytest.fixture
def context(server: SiteServer, fixture_dns: LoopbackDNSServer) -> Iterator[CollectContext]:
    settings = Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))
    with GuardedFetcher(settings, allowed_ports=(80, 443, server.port), backoff_base_seconds=0.01) as fetcher:
        server.reset()
        yield make_context(server.site, fetcher)


def as_of(server: SiteServer) -> date:
    return date.fromisoformat(server.site.manifest["as_of"])


def test_openapi_document_is_fetched_and_counted(server: SiteServer, context: CollectContext) -> None:
    items = run(DeveloperCollector(now=as_of(server)), site_pages(server.site), context)
    planted = server.site.manifest["developer"]["openapi"]
    [spec] = of_type(items, EvidenceType.OPENAPI)
    assert spec.dedup_key == planted["url"]
    assert spec.data["spec_version"] == planted["version"]
    assert spec.data["title"] == planted["title"]
    assert (spec.data["path_count"], spec.data["operation_count"]) == (
        planted["paths"],
        planted["operations"],
    )
    assert spec.data["deprecated_operations"] == planted["deprecated_operations"]
    assert spec.data["tags"] == planted["tags"]
    assert spec.data["security_schemes"] == planted["security_schemes"]
    assert spec.data["webhooks"] == planted["webhooks"]
    assert spec.data["servers"] == [server.site.url("api", "/")[:-1]]
    assert server.was_requested(planted["url"])
    docs = server.site.url("docs", "")
    probed = [path for path in OPENAPI_PROBE_PATHS[1:] if server.was_requested(docs + path)]
    assert probed == []  # a linked document was found, so no probing


def test_status_page_components_and_incidents(server: SiteServer, context: CollectContext) -> None:
    items = run(ComplianceCollector(now=as_of(server)), site_pages(server.site), context)
    planted = server.site.manifest["status"]
    [status] = of_type(items, EvidenceType.STATUS_PAGE)
    data = status.data
    assert data["api"]["summary"]["error_code"] is None and data["api"]["incidents"]["error_code"] is None
    assert [c["name"] for c in data["components"]] == planted["components"]
    assert data["indicator"] == "none"
    assert data["incidents_total"] == len(planted["incidents"])
    now = as_of(server)
    ages = [(now - date.fromisoformat(i["started"][:10])).days for i in planted["incidents"]]
    assert data["incidents_last_90_days"] == sum(1 for age in ages if age <= 90)
    assert data["incidents_last_365_days"] == sum(1 for age in ages if age <= 365)
    assert data["latest_incident"][:10] == max(i["started"][:10] for i in planted["incidents"])
    assert status.confidence == 0.9
    assert server.was_requested(planted["url"] + "api/v2/summary.json")


def test_ats_listing_gives_the_roles(server: SiteServer, context: CollectContext) -> None:
    items = run(HiringCollector(), site_pages(server.site), context)
    hiring = server.site.manifest["hiring"]
    [ats] = of_type(items, EvidenceType.ATS_PROVIDER)
    assert ats.data["listing"] == {
        "url": hiring["api_url"],
        "error_code": None,
        "roles": hiring["open_roles"],
        "status": 200,
    }
    postings = {item.dedup_key: item.data for item in of_type(items, EvidenceType.JOB_POSTING)}
    assert set(postings) == {role["url"] for role in server.site.manifest["roles"]}
    assert all(p["source"] == "ats_listing" for p in postings.values())
    for role in server.site.manifest["roles"]:
        assert postings[role["url"]]["stack"] == role["stack"]  # merged from the crawled job pages
    [summary] = of_type(items, EvidenceType.JOBS_SUMMARY)
    assert summary.data["by_function"] == hiring["by_function"]
    assert summary.data["source"] == "ats_listing" and summary.confidence == 0.9
