"""The compliance collector against the demo site's manifest: claims with their sentences, the FedRAMP trap,
policies, subprocessors, consent, trust centre, status page, disclosure and SLA claims."""

from __future__ import annotations

from datetime import date

import pytest

from techscaniq.demo.site import Site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.compliance import ComplianceCollector, framework_mentions, parse_date
from techscaniq.evidence.fetch import GuardedFetcher
from tests.support.collectors import (
    assert_well_formed,
    by_key,
    demo_site,
    make_context,
    of_type,
    run,
    run_resumed,
    site_pages,
)

FRAMEWORK_KEYS = {
    "SOC 2 Type II": "soc2",
    "ISO/IEC 27001": "iso27001",
    "HIPAA": "hipaa",
    "GDPR": "gdpr",
    "CCPA": "ccpa",
}


@pytest.fixture
def site() -> Site:
    return demo_site()


@pytest.fixture
def items(site: Site, offline_fetcher: GuardedFetcher) -> list[EvidenceDraft]:
    collector = ComplianceCollector(now=date.fromisoformat(site.manifest["as_of"]))
    return run(collector, site_pages(site), make_context(site, offline_fetcher))


def test_every_planted_claim_is_found_with_its_sentence(site: Site, items: list[EvidenceDraft]) -> None:
    assert_well_formed(items)
    claims = {item.dedup_key: item for item in of_type(items, EvidenceType.COMPLIANCE_CLAIM)}
    planted = site.manifest["compliance"]["claims"]
    assert set(claims) == {FRAMEWORK_KEYS[c["framework"]] for c in planted}  # nothing the manifest lacks
    for claim in planted:
        found = claims[FRAMEWORK_KEYS[claim["framework"]]].data["claims"]
        assert {"sentence": claim["sentence"], "url": claim["url"]} in [
            {"sentence": c["sentence"], "url": c["url"]} for c in found
        ], claim
    assert claims["soc2"].data["name"] == "SOC 2 Type II"
    assert claims["soc2"].confidence == 0.9 and claims["soc2"].data["source"] == "trust centre"
    assert claims["ccpa"].confidence == 0.8  # the privacy policy, not a trust centre
    home = next(c for c in claims["iso27001"].data["claims"] if c["url"] == site.manifest["home"])
    assert home["confidence"] == 0.7 and home["source"] == "marketing copy"


def test_the_fedramp_disclaimer_is_not_a_claim(site: Site, items: list[EvidenceDraft]) -> None:
    keys = {item.dedup_key for item in of_type(items, EvidenceType.COMPLIANCE_CLAIM)}
    assert "fedramp" not in keys
    [trust] = of_type(items, EvidenceType.TRUST_CENTER)
    [disclaimed] = site.manifest["compliance"]["disclaimed"]
    assert {
        "framework": "FedRAMP",
        "sentence": disclaimed["sentence"],
        "url": disclaimed["url"],
    } in trust.data["disclaimed"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We are SOC 2 Type II certified.", {"soc2": False}),
        (
            "Acme does not hold a FedRAMP authorization and does not offer a government cloud.",
            {"fedramp": True},
        ),
        ("FedRAMP: not currently.", {"fedramp": True}),
        ("We are working towards ISO 27001 certification.", {"iso27001": True}),
        ("Our SOC 2 report closed with no exceptions.", {"soc2": False}),
        ("We honour the CCPA, and we do not sell personal information.", {"ccpa": False}),
        ("We are PCI DSS Level 1 compliant and HITRUST certified.", {"pci-dss": False, "hitrust": False}),
    ],
)
def test_negated_or_deferred_mentions(sentence: str, expected: dict[str, bool]) -> None:
    assert {f.key: negated for f, _, negated in framework_mentions(sentence)} == expected


def test_policies_subprocessors_and_consent(site: Site, items: list[EvidenceDraft]) -> None:
    policies = {item.dedup_key: item.data for item in of_type(items, EvidenceType.POLICY)}
    planted = site.manifest["policies"]
    privacy = policies["privacy"]
    assert privacy["url"] == planted["privacy"]["url"]
    assert privacy["last_updated"] == planted["privacy"]["last_updated"]
    assert (privacy["gdpr_section"], privacy["ccpa_section"], privacy["do_not_sell"]) == (True, True, True)
    assert policies["terms"]["url"] == planted["terms"]
    assert policies["terms"]["entity_sentence"] == site.manifest["company"]["contracting_entity"]
    assert policies["terms"]["contracting_entity"] == site.manifest["company"]["legal_name"]
    assert policies["dpa"]["url"] == planted["dpa"]
    assert policies["cookie_policy"]["url"] == planted["cookie_policy"]
    assert set(policies) == {"privacy", "terms", "dpa", "cookie_policy"}
    [subprocessors] = of_type(items, EvidenceType.SUBPROCESSORS)
    assert subprocessors.source_url == planted["subprocessors"]["url"]
    assert subprocessors.data["count"] == planted["subprocessors"]["count"]
    assert subprocessors.data["names"] == planted["subprocessors"]["names"]
    assert "United States" in subprocessors.data["regions"]
    [consent] = of_type(items, EvidenceType.COOKIE_CONSENT)
    assert consent.data["platform"] == planted["consent_platform"]


def test_trust_status_disclosure_and_sla(site: Site, items: list[EvidenceDraft]) -> None:
    trust = site.manifest["trust"]
    [centre] = of_type(items, EvidenceType.TRUST_CENTER)
    assert centre.data["url"] == trust["trust_center"] and centre.data["fetched"]
    [status] = of_type(items, EvidenceType.STATUS_PAGE)
    assert status.data["url"] == site.manifest["status"]["url"]
    assert status.data["provider"] == site.manifest["status"]["provider"]
    assert status.data["uptime_claim"] == site.manifest["status"]["uptime_claim"]
    assert status.data["api"]["summary"][
        "error_code"
    ]  # the offline fetcher reaches nothing: recorded, no crash
    [disclosure] = of_type(items, EvidenceType.DISCLOSURE_PROGRAM)
    assert disclosure.data["policy_urls"] == [trust["disclosure"]]
    assert disclosure.data["contacts"] == [trust["security_contact"]]
    assert disclosure.data["bug_bounty"] and disclosure.data["bug_bounty_private"]
    assert disclosure.data["platforms"] == {}  # the manifest names no platform
    slas = {item.dedup_key for item in of_type(items, EvidenceType.SLA_CLAIM)}
    assert slas == {
        f"sla:{trust['sla'].rstrip('%')}",
        f"reported_uptime:{site.manifest['status']['uptime_claim'].rstrip('%')}",
    }


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    now = date.fromisoformat(site.manifest["as_of"])
    whole = run(ComplianceCollector(now=now), pages, context)
    for split in (1, len(pages) // 2, len(pages) - 1):
        resumed = run_resumed(lambda: ComplianceCollector(now=now), pages, split, context)
        assert by_key(resumed) == by_key(whole)


def test_dates() -> None:
    assert parse_date("July 6, 2025") == "2025-07-06"
    assert parse_date("6 July 2025") == "2025-07-06"
    assert parse_date("2025-07-06") == "2025-07-06"
    assert parse_date("soon") is None
