"""The developer collector against the demo site's manifest: pricing, OpenAPI facts, SDKs, GitHub, webhooks,
changelog cadence, integrations and API docs."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import urlsplit

import pytest
import yaml

from techscaniq.demo.site import Site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.developer import DeveloperCollector, parse_spec, spec_facts
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
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


def as_of(site: Site) -> date:
    return date.fromisoformat(site.manifest["as_of"])


@pytest.fixture
def items(site: Site, offline_fetcher: GuardedFetcher) -> list[EvidenceDraft]:
    return run(DeveloperCollector(now=as_of(site)), site_pages(site), make_context(site, offline_fetcher))


def test_pricing_facts(site: Site, items: list[EvidenceDraft]) -> None:
    assert_well_formed(items)
    planted = site.manifest["pricing"]
    [pricing] = of_type(items, EvidenceType.PRICING)
    data = pricing.data
    assert pricing.source_url == planted["url"]
    assert data["plan_count"] == planted["plan_count"]
    assert [p["name"] for p in data["plans"]] == [p["name"] for p in planted["plans"]]
    for found, plan in zip(data["plans"], planted["plans"], strict=True):
        if plan["annual_per_seat"]:
            assert (found["annual"], found["monthly"]) == (plan["annual_per_seat"], plan["monthly_per_seat"])
    assert data["free_tier"] is planted["free_tier"]
    assert data["trial_days"] == planted["trial_days"]
    assert data["per_seat"] is planted["per_seat"] and data["model"] == "per-seat"
    assert data["contact_sales"] and data["enterprise_tier"]
    assert data["annual_discount"] is planted["annual_discount"]
    assert data["currencies"] == [planted["currency"]]
    assert data["lowest_price"] == planted["lowest_price"]
    assert data["highest_listed_price"] == planted["highest_listed_price"]
    assert data["billing_technology"] == [planted["billing_technology"]]
    assert pricing.summary.startswith("Pricing page lists 4 plans, with a free tier")


def test_sdks_github_webhooks_and_docs(site: Site, items: list[EvidenceDraft]) -> None:
    developer = site.manifest["developer"]
    sdks = {
        (i.data["language"], i.data["registry"], i.data["package"]) for i in of_type(items, EvidenceType.SDK)
    }
    assert sdks == {(s["language"], s["registry"], s["package"]) for s in developer["sdks"]}
    [repo] = of_type(items, EvidenceType.CODE_REPOSITORY)
    assert repo.data["url"] == developer["github"]
    [webhooks] = of_type(items, EvidenceType.WEBHOOKS)
    assert webhooks.source_url == developer["webhooks"]["url"]
    assert webhooks.data["event_count"] == developer["webhooks"]["events"]
    assert webhooks.data["signature_header"] == developer["webhooks"]["signature_header"]
    assert webhooks.data["retries"] == developer["webhooks"]["retries"]
    [docs] = of_type(items, EvidenceType.API_DOCS)
    assert docs.data["reference_url"] == developer["api_reference"]
    assert "Docusaurus" in docs.data["platforms"]
    assert of_type(items, EvidenceType.OPENAPI) == []  # the offline fetcher reaches nothing


def test_changelog_cadence_relative_to_now(site: Site, items: list[EvidenceDraft]) -> None:
    planted = site.manifest["changelog"]
    [changelog] = of_type(items, EvidenceType.CHANGELOG)
    dates = sorted(planted["dates"], reverse=True)
    assert changelog.data["dates"] == dates
    assert changelog.data["latest"] == dates[0]
    now = as_of(site)
    recent = [d for d in dates if (now - date.fromisoformat(d)).days <= 90]
    assert changelog.data["entries_last_90_days"] == len(recent) > 0
    gap = (date.fromisoformat(dates[0]) - date.fromisoformat(dates[1])).days
    assert changelog.data["median_gap_days"] == gap


def test_integrations_directory(site: Site, items: list[EvidenceDraft]) -> None:
    planted = site.manifest["integrations"]
    [integrations] = of_type(items, EvidenceType.INTEGRATIONS)
    assert integrations.data["url"] == planted["url"]
    assert integrations.data["count"] == planted["count"]
    assert integrations.data["categories"] == planted["categories"]


def spec_result(site: Site) -> FetchResult:
    url = site.manifest["developer"]["openapi"]["url"]
    parts = urlsplit(url)
    response = site.lookup(parts.netloc, parts.path)
    assert response is not None
    return FetchResult(url, url, status=200, body=response.body, content_type="application/json")


def test_openapi_facts_from_json_and_yaml(site: Site) -> None:
    planted = site.manifest["developer"]["openapi"]
    result = spec_result(site)
    as_yaml = FetchResult(
        result.requested_url,
        result.final_url,
        status=200,
        body=yaml.safe_dump(json.loads(result.body)).encode(),
    )
    for fetched in (result, as_yaml):
        document = parse_spec(fetched)
        assert document is not None
        facts = spec_facts(document)
        assert facts["spec_version"] == planted["version"]
        assert facts["title"] == planted["title"]
        assert facts["path_count"] == planted["paths"]
        assert facts["operation_count"] == planted["operations"]
        assert facts["deprecated_operations"] == planted["deprecated_operations"]
        assert facts["tags"] == planted["tags"]
        assert facts["security_schemes"] == planted["security_schemes"]
        assert facts["webhooks"] == planted["webhooks"]


def test_spec_parsing_refuses_junk() -> None:
    for body in (b"", b"<html>not a spec</html>", b"[1, 2]", b'{"info": {}}', b"a: [unclosed", b"\xff\xfe"):
        assert parse_spec(FetchResult("u", "u", status=200, body=body)) is None
    assert parse_spec(FetchResult("u", "u", status=404, body=b'{"openapi": "3.0.0"}')) is None


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    whole = run(DeveloperCollector(now=as_of(site)), pages, context)
    for split in (1, len(pages) // 2):
        resumed = run_resumed(lambda: DeveloperCollector(now=as_of(site)), pages, split, context)
        assert by_key(resumed) == by_key(whole)
