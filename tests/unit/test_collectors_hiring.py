"""The hiring collector against the demo site's manifest: careers page, the ATS board, roles by function and
location, stacks, leaders, and the listing parsers."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from techscaniq.demo.site import Site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.hiring import HiringCollector, _listing_roles, ats_for_host, job_function
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
    return run(HiringCollector(), site_pages(site), make_context(site, offline_fetcher))


def test_roles_by_function_location_and_stack(site: Site, items: list[EvidenceDraft]) -> None:
    assert_well_formed(items)
    planted = {role["url"]: role for role in site.manifest["roles"]}
    postings = {item.dedup_key: item.data for item in of_type(items, EvidenceType.JOB_POSTING)}
    assert set(postings) == set(planted)
    for url, role in planted.items():
        found = postings[url]
        assert (found["title"], found["function"], found["department"]) == (
            role["title"],
            role["function"],
            role["department"],
        )
        assert (found["location"], found["remote"], found["stack"]) == (
            role["location"],
            role["remote"],
            role["stack"],
        )
    [summary] = of_type(items, EvidenceType.JOBS_SUMMARY)
    hiring = site.manifest["hiring"]
    assert summary.data["open_roles"] == hiring["open_roles"]
    assert summary.data["by_function"] == hiring["by_function"]
    assert summary.data["by_location"] == hiring["by_location"]
    assert summary.data["remote_roles"] == sum(1 for r in site.manifest["roles"] if r["remote"])
    assert summary.data["source"] == "html"  # the offline fetcher cannot read the listing


def test_careers_page_and_ats(site: Site, items: list[EvidenceDraft]) -> None:
    hiring = site.manifest["hiring"]
    [careers] = of_type(items, EvidenceType.CAREERS_PAGE)
    assert careers.dedup_key == hiring["careers_url"]
    assert careers.data["job_links"] == hiring["open_roles"]
    [ats] = of_type(items, EvidenceType.ATS_PROVIDER)
    assert ats.data["provider"] == hiring["ats"]
    assert ats.data["board_url"] == hiring["board_url"]
    assert ats.data["listing"]["url"] == hiring["api_url"]
    assert ats.data["listing"]["error_code"]


def test_leaders(site: Site, items: list[EvidenceDraft]) -> None:
    leaders = {(i.data["name"], i.data["title"]) for i in of_type(items, EvidenceType.LEADER)}
    assert leaders == {(leader["name"], leader["title"]) for leader in site.manifest["leaders"]}


def test_listing_parser_reads_the_board_json(site: Site) -> None:
    parts = urlsplit(site.manifest["hiring"]["api_url"])
    response = site.lookup(parts.netloc, parts.path)
    assert response is not None
    roles = _listing_roles("hireboard", json.loads(response.body))
    assert roles is not None
    assert [(r["title"], r["department"], r["location"], r["url"]) for r in roles] == [
        (r["title"], r["department"], r["location"], r["url"]) for r in site.manifest["roles"]
    ]
    assert _listing_roles("hireboard", {"unexpected": True}) is None
    lever = _listing_roles("lever", [{"id": "a", "text": "Data Engineer", "categories": {"team": "Data"}}])
    assert lever is not None and lever[0]["department"] == "Data"


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("boards.greenhouse.io", "greenhouse"),
        ("jobs.eu.lever.co", "lever"),
        ("jobs.ashbyhq.com", "ashby"),
        ("acme.wd5.myworkdayjobs.com", "workday"),
        ("acme.bamboohr.com", "bamboohr"),
        ("jobs.hireboard.test", "hireboard"),
        ("www.example.com", None),
    ],
)
def test_ats_hosts(host: str, provider: str | None) -> None:
    found = ats_for_host(host)
    assert (found.key if found else None) == provider


def test_function_from_title_when_no_department() -> None:
    assert job_function(None, "Senior Site Reliability Engineer") == "engineering"
    assert job_function(None, "Security Analyst") == "security"
    assert job_function(None, "Account Executive") == "sales"
    assert job_function(None, "Head Chef") == "other"


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    whole = run(HiringCollector(), pages, context)
    for split in (3, len(pages) // 2):
        assert by_key(run_resumed(HiringCollector, pages, split, context)) == by_key(whole)
