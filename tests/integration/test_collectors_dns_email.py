"""The dns_email collector against the demo company's zone on the loopback DNS server (and a silent resolver)."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import trustme

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.dns_email import DnsEmailCollector
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from tests.support.collectors import TEST_ALLOW_NETWORKS, load_site_zone, make_dns_context

pytestmark = pytest.mark.integration


def load_zone(fixture_dns: LoopbackDNSServer, server: SiteServer) -> None:
    """Serve the site's zone from the fixture DNS server."""
    load_site_zone(fixture_dns, server.site)


def page_at(url: str) -> CrawledPage:
    host = urlsplit(url).hostname or ""
    result = FetchResult(requested_url=url, final_url=url, status=200)
    return CrawledPage(url, url, host, PageClass.OTHER, 1, result, "<html></html>", "link")


@pytest.fixture(scope="module")
def demo(
    fixture_dns: LoopbackDNSServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SiteServer, str]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    domain = "northwind-ledger.test"
    names = [domain, *(f"{label}.{domain}" for label in ("www", "docs", "status", "trust", "api", "mta-sts"))]
    ca.issue_cert(*names).configure_cert(context)
    bundle = tmp_path_factory.mktemp("dns-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with SiteServer.started(pages=30, tls=context) as server:
        load_zone(fixture_dns, server)
        yield server, str(bundle)


@contextlib.contextmanager
def demo_context(demo: tuple[SiteServer, str], fixture_dns: LoopbackDNSServer) -> Iterator[CollectContext]:
    """A collect context for the demo company, its fetcher trusting the demo's certificates."""
    server, bundle = demo
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with GuardedFetcher(settings, ca_bundle=bundle) as fetcher:
        yield make_dns_context(fetcher, settings, server.site.url("www"), server.site.domain)


@pytest.fixture(scope="module")
def collected(
    demo: tuple[SiteServer, str], fixture_dns: LoopbackDNSServer
) -> tuple[list[EvidenceDraft], CollectContext]:
    site = demo[0].site
    with demo_context(demo, fixture_dns) as context:
        collector = DnsEmailCollector()
        for label in ("www", "docs", "status", "trust"):
            list(collector.on_page(page_at(site.url(label, "/")), context))
        resumed = DnsEmailCollector()
        resumed.restore(collector.state())
        items = list(resumed.finish(context))
    return items, context


def one(items: list[EvidenceDraft], type_: EvidenceType, key: str | None = None) -> EvidenceDraft:
    found = [item for item in items if item.type == type_ and (key is None or item.dedup_key == key)]
    assert len(found) == 1, [(item.type, item.dedup_key) for item in found]
    return found[0]


def test_providers_and_records(
    collected: tuple[list[EvidenceDraft], CollectContext], demo: tuple[SiteServer, str]
) -> None:
    items, context = collected
    facts = demo[0].site.manifest["dns"]
    provider = one(items, EvidenceType.DNS_PROVIDER)
    assert provider.data["providers"] == [facts["dns_provider"]]
    assert provider.data["nameservers"] == sorted(facts["nameservers"])
    mail = one(items, EvidenceType.MAIL_PROVIDER)
    assert mail.data["providers"] == [facts["mail_provider"]]
    assert [(m["preference"], m["host"]) for m in mail.data["mx"]] == [
        (m["preference"], m["host"]) for m in facts["mx"]
    ]
    for name, planted in facts["cnames"].items():
        record = one(items, EvidenceType.DNS_RECORDS, name)
        assert record.data["cname_chain"] == [planted["target"]]
        assert record.data["a"] == ["127.0.0.1"]
        assert context.extras["dns"]["cnames"][name] == [planted["target"]]
    assert "MX" in context.extras["dns"]["records"][demo[0].site.domain]
    assert all(item.data["status"] in ("observed", "not_observed") for item in items)


def test_spf_dmarc_and_dkim(
    collected: tuple[list[EvidenceDraft], CollectContext], demo: tuple[SiteServer, str]
) -> None:
    items, _ = collected
    facts = demo[0].site.manifest["dns"]
    spf = one(items, EvidenceType.SPF)
    assert spf.data["record"] == facts["spf"]["record"]
    assert spf.data["includes"] == facts["spf"]["includes"]
    assert spf.data["dns_lookups"] == facts["spf"]["dns_lookups"]
    assert spf.data["all"] == facts["spf"]["all"] and spf.data["valid"] is True
    assert set(spf.data["senders"]) == {"Google Workspace", "SendGrid", "HubSpot"}
    dmarc = one(items, EvidenceType.DMARC)
    assert dmarc.data["p"] == facts["dmarc"]["p"] and dmarc.data["pct"] == facts["dmarc"]["pct"]
    assert dmarc.data["rua"] == facts["dmarc"]["rua"]
    assert dmarc.data["external_rua_authorised"] is facts["dmarc"]["external_rua_authorised"]
    assert dmarc.data["enforcing"] is True
    dkim = {item.data["selector"]: item.data for item in items if item.type == EvidenceType.DKIM}
    assert {s: (d["key_type"], d["bits"]) for s, d in dkim.items()} == {
        k["selector"]: (k["key_type"], k["bits"]) for k in facts["dkim"]
    }


def test_mta_sts_tls_rpt_bimi_caa_dnssec_tokens(
    collected: tuple[list[EvidenceDraft], CollectContext], demo: tuple[SiteServer, str]
) -> None:
    items, _ = collected
    server = demo[0]
    facts = server.site.manifest["dns"]
    mta = one(items, EvidenceType.MTA_STS)
    planted = facts["mta_sts"]
    assert mta.data["record"] == planted["record"] and mta.data["policy_url"] == planted["policy_url"]
    assert (mta.data["mode"], mta.data["max_age"], mta.data["mx"]) == (
        planted["mode"],
        planted["max_age"],
        planted["mx"],
    )
    assert server.was_requested(planted["policy_url"])
    assert one(items, EvidenceType.TLS_RPT).data["record"] == facts["tls_rpt"]
    bimi = one(items, EvidenceType.BIMI)
    assert bimi.data["record"] == facts["bimi"]["record"] and bimi.data["fetched"] is False
    assert not server.was_requested(bimi.data["logo_url"])  # BIMI URLs come from DNS: never fetched
    caa = one(items, EvidenceType.CAA)
    assert sorted(caa.data["records"]) == sorted(facts["caa"])
    assert caa.data["issue"] == ["amazon.com", "letsencrypt.org"] and caa.data["wildcard_forbidden"] is True
    dnssec = one(items, EvidenceType.DNSSEC)
    assert dnssec.data["signed"] is facts["dnssec"] and dnssec.data["status"] == "not_observed"
    vendors = sorted(item.data["vendor"] for item in items if item.type == EvidenceType.SAAS_VERIFICATION)
    assert vendors == sorted(token["vendor"] for token in facts["verification_tokens"])


def test_a_domain_without_records_gives_not_observed_items(
    demo: tuple[SiteServer, str], fixture_dns: LoopbackDNSServer
) -> None:
    settings = Settings().with_overrides(
        allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(fixture_dns.address,)
    )
    with GuardedFetcher(settings) as fetcher:
        context = make_dns_context(
            fetcher, settings, "https://www.absent-company.test/", "absent-company.test"
        )
        items = list(DnsEmailCollector().finish(context))
    for type_ in (
        EvidenceType.SPF,
        EvidenceType.DMARC,
        EvidenceType.DKIM,
        EvidenceType.MAIL_PROVIDER,
        EvidenceType.CAA,
    ):
        item = one(items, type_)
        assert item.data["status"] == "not_observed", item
    assert one(items, EvidenceType.DMARC).title == "No DMARC record seen for absent-company.test"
    assert "may exist under other selectors" in one(items, EvidenceType.DKIM).summary  # a miss, not "absent"


def test_a_silent_resolver_still_completes_with_error_items(demo: tuple[SiteServer, str]) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read: every question times out
    silent.bind(("127.0.0.1", 0))
    try:
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        settings = Settings().with_overrides(allow_networks=TEST_ALLOW_NETWORKS, dns_servers=(address,))
        with GuardedFetcher(settings) as fetcher:
            context = make_dns_context(fetcher, settings, demo[0].site.url("www"), demo[0].site.domain)
            items = list(DnsEmailCollector(dns_timeout_seconds=0.3).finish(context))
    finally:
        silent.close()
    stats: dict[str, Any] = context.extras["dns_questions"]
    assert stats["resolver_gave_up"] is True and stats["asked"] == 2
    for type_ in (
        EvidenceType.SPF,
        EvidenceType.DMARC,
        EvidenceType.DKIM,
        EvidenceType.MTA_STS,
        EvidenceType.DNSSEC,
    ):
        assert one(items, type_).data["status"] == "error", type_
    assert one(items, EvidenceType.DNS_RECORDS, demo[0].site.domain).data["status"] == "error"
    assert not [item for item in items if item.type == EvidenceType.SAAS_VERIFICATION]


def test_state_is_small_and_json_safe() -> None:
    collector = DnsEmailCollector()
    settings = Settings()
    with GuardedFetcher(settings) as fetcher:
        context = make_dns_context(fetcher, settings, "https://www.example-co.test/", "example-co.test")
        for i in range(40):
            list(collector.on_page(page_at(f"https://h{i}.example-co.test/"), context))
    state = json.loads(json.dumps(collector.state()))
    assert len(state["hosts"]) == 20


def test_questions_asked_beside_the_crawl_are_not_asked_again(
    demo: tuple[SiteServer, str], fixture_dns: LoopbackDNSServer, collected: tuple[list[EvidenceDraft], Any]
) -> None:
    site = demo[0].site
    with demo_context(demo, fixture_dns) as context:
        collector = DnsEmailCollector()
        collector.begin(context)  # as collect_evidence runs it, on its own thread while pages arrive
        early = len(fixture_dns.queries)
        for label in ("www", "docs", "status", "trust"):
            list(collector.on_page(page_at(site.url(label, "/")), context))
        items = list(collector.finish(context))
    asked = fixture_dns.queries[early:]
    # finish() asks only what begin() could not know (the SPF walk, MTA-STS ...), never a question again.
    assert (site.domain, "MX") not in asked and (f"_dmarc.{site.domain}", "TXT") not in asked
    assert len(asked) == len(set(asked))
    expected, _ = collected
    assert sorted((i.type, i.dedup_key, json.dumps(i.data, sort_keys=True)) for i in items) == sorted(
        (i.type, i.dedup_key, json.dumps(i.data, sort_keys=True)) for i in expected
    )
