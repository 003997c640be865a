"""The business collector against the demo site's manifest: organisation, profiles, customers, case studies,
contact channels."""

from __future__ import annotations

import pytest

from techscaniq.demo.site import Site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.business import BusinessCollector, social_profile
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


@pytest.fixture
def site() -> Site:
    return demo_site()


@pytest.fixture
def items(site: Site, offline_fetcher: GuardedFetcher) -> list[EvidenceDraft]:
    return run(BusinessCollector(), site_pages(site), make_context(site, offline_fetcher))


def test_organization_facts(site: Site, items: list[EvidenceDraft]) -> None:
    assert_well_formed(items)
    company = site.manifest["company"]
    [org] = of_type(items, EvidenceType.ORGANIZATION)
    data = org.data
    assert data["name"] == company["name"] and data["legalName"] == company["legal_name"]
    assert data["foundingDate"] == company["founding_date"]
    assert data["numberOfEmployees"] == str(company["employees"])
    assert data["address"] == company["address"]
    assert data["logo"] == company["logo"]
    assert f"© {data['copyright_year']} {data['copyright_holder']}" == company["copyright"]
    assert data["og_site_name"] == company["name"]
    assert org.confidence == 0.9


def test_social_profiles(site: Site, items: list[EvidenceDraft]) -> None:
    profiles = {item.dedup_key for item in of_type(items, EvidenceType.SOCIAL_PROFILE)}
    expected = {social_profile(url)[2] for url in site.manifest["company"]["same_as"]}  # type: ignore[index]
    assert profiles == expected and len(expected) == len(site.manifest["company"]["same_as"])


def test_customers_and_case_studies(site: Site, items: list[EvidenceDraft]) -> None:
    planted = site.manifest["customers"]
    [customers] = of_type(items, EvidenceType.CUSTOMERS)
    assert sorted(customers.data["names"]) == sorted(c["name"] for c in planted)
    studies = {item.dedup_key: item.data for item in of_type(items, EvidenceType.CASE_STUDY)}
    expected = {c["case_study_url"]: c for c in planted if c["case_study_url"]}
    assert set(studies) == set(expected)
    for url, customer in expected.items():
        assert (studies[url]["customer"], studies[url]["industry"]) == (
            customer["name"],
            customer["industry"],
        )
    assert customers.data["case_studies"] == len(expected)


def test_contact_channels(site: Site, items: list[EvidenceDraft]) -> None:
    channels = {item.dedup_key: item.data["kind"] for item in of_type(items, EvidenceType.CONTACT_CHANNEL)}
    domain = site.domain
    assert channels[f"email:sales@{domain}"] == "sales"
    assert channels[f"email:support@{domain}"] == "support"
    assert channels[f"email:press@{domain}"] == "press"
    digits = "".join(ch for ch in site.manifest["company"]["phone"] if ch.isdigit() or ch == "+")
    assert f"phone:{digits}" in channels
    assert f"form:{site.url('www', '/contact')}" in channels


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://twitter.com/intent/tweet?text=x", None),
        ("https://www.facebook.com/sharer/sharer.php?u=x", None),
        ("https://uk.linkedin.com/company/acme/", ("linkedin", "https://uk.linkedin.com/company/acme")),
        ("https://github.com/acme", ("github", "https://github.com/acme")),
    ],
)
def test_social_profile_urls(url: str, expected: tuple[str, str] | None) -> None:
    found = social_profile(url)
    assert ((found[0], found[2]) if found else None) == expected


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    whole = run(BusinessCollector(), pages, context)
    for split in (1, len(pages) // 2):
        assert by_key(run_resumed(BusinessCollector, pages, split, context)) == by_key(whole)
