"""The technology collector over the demo site's responses (no network: DNS and TLS facts come via extras)."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from techscaniq.config import Settings
from techscaniq.demo.site import Site, build_site
from techscaniq.domain import EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.technology import (
    MAX_MATCHES_PER_TECHNOLOGY,
    TechnologyCollector,
    cname_provider,
    hosting_cues,
)
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from techscaniq.evidence.fingerprints import FingerprintMatcher
from tests.support.collectors import make_scan

# Planted slugs whose fingerprint goes by another slug in our data.
SLUG_ALIASES = {"recaptcha": "google-recaptcha"}
# Planted on the fixture site but impossible to fingerprint: the vendor is fictional.
NOT_FINGERPRINTABLE = {"hireboard"}
# Planted versions that cannot be read today (reported to the lead): no signal on the pages, no version capture.
VERSION_GAPS = {
    "next-js": "the site plants no Next.js version signal",
    "redoc": "the Redoc fingerprint does not capture the version in cdn.redoc.ly/redoc/v<version>/",
}
# Detected beyond the planted list, each justified by a fact the zone or the pages plant.
EXPLAINED_EXTRAS = {
    "google-search-console": "google-site-verification TXT token",
    "atlassian-cloud": "atlassian-domain-verification TXT token",
    "docusign": "docusign TXT token",
    "zoom": "ZOOM_verify_ TXT token",
    "amazon-elb": "api CNAME to *.elb.amazonaws.com",
    "cloudflare-bot-management": "__cf_bm cookie on docs",
    "jquery-cdn": "jQuery is loaded from code.jquery.com",
}


@cache
def demo_site() -> Site:
    return build_site(port=443, scheme="https", pages=30)


def raw_txt(value: str) -> str:
    rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, value)
    return b"".join(rdata.strings).decode()  # type: ignore[attr-defined]


def dns_extras(site: Site) -> dict[str, object]:
    """What the dns_email collector shares, built from the planted zone."""
    zone = site.dns_zone()
    apex = zone[site.domain]
    cnames = {name: [r["CNAME"][0].rstrip(".")] for name, r in zone.items() if "CNAME" in r}
    return {
        "apex": site.domain,
        "TXT": [raw_txt(v) for v in apex["TXT"]],
        "MX": apex["MX"],
        "NS": apex["NS"],
        "SOA": apex["SOA"],
        "CNAME": [target for chain in cnames.values() for target in chain],
        "cnames": cnames,
    }


def pages_of(site: Site) -> list[CrawledPage]:
    home = site.manifest["home"]
    urls = [home, *(u for listed in site.manifest["pages"].values() for u in listed if u != home)]
    pages = []
    for url in urls:
        host, _, path = url.removeprefix("https://").partition("/")
        response = site.lookup(host, "/" + path)
        assert response is not None, url
        result = FetchResult(url, url, response.status, list(response.headers), response.body)
        html = response.body.decode() if "html" in (response.header("content-type") or "") else ""
        page_class = PageClass.HOME if url == home else PageClass.OTHER
        pages.append(CrawledPage(url, url, host, page_class, 1, result, html, "link"))
    return pages


def context_for(site: Site) -> CollectContext:
    scan = make_scan(site.manifest["home"], scan_id="scan-tech")
    fetcher = GuardedFetcher(Settings())  # never used: every site signal arrives through extras
    context = CollectContext(scan, Settings(), fetcher, site.manifest["home"], site.domain)
    context.extras["dns"] = dns_extras(site)
    context.extras["tls"] = {f"www.{site.domain}": {"issuer_organization": "Amazon"}}
    context.robots_txt = site.lookup(f"www.{site.domain}", "/robots.txt").body.decode()  # type: ignore[union-attr]
    return context


def run_collector(collector: TechnologyCollector, site: Site, resume: bool = False) -> list[EvidenceDraft]:
    context = context_for(site)
    for page in pages_of(site):
        assert list(collector.on_page(page, context)) == []
    if resume:
        restored = TechnologyCollector()
        restored.restore(json.loads(json.dumps(collector.state())))
        collector = restored
    return list(collector.finish(context))


def site_day() -> date:
    """The day the fixture site describes: end of life is judged as of then."""
    return date.fromisoformat(demo_site().manifest["as_of"])


@pytest.fixture(scope="module")
def items() -> list[EvidenceDraft]:
    return run_collector(TechnologyCollector(now=site_day()), demo_site())


def technologies(items: list[EvidenceDraft]) -> dict[str, EvidenceDraft]:
    return {item.dedup_key: item for item in items if item.type == EvidenceType.TECHNOLOGY}


def implied_closure(slugs: set[str]) -> set[str]:
    matcher = FingerprintMatcher.load()
    by_slug = {tech.slug: tech for tech in matcher.technologies.values()}
    by_name = {tech.name: tech.slug for tech in matcher.technologies.values()}
    found, queue = set(slugs), list(slugs)
    while queue:
        tech = by_slug.get(queue.pop())
        for implied in tech.implies if tech else ():
            slug = by_name.get(implied.name)
            if slug and slug not in found:
                found.add(slug)
                queue.append(slug)
    return found


def test_the_planted_stack_is_detected_and_nothing_else(items: list[EvidenceDraft]) -> None:
    planted = {SLUG_ALIASES.get(t["slug"], t["slug"]) for t in demo_site().manifest["technologies"]}
    detected = set(technologies(items))
    assert planted - NOT_FINGERPRINTABLE <= detected, planted - detected
    unexplained = detected - implied_closure(planted) - set(EXPLAINED_EXTRAS)
    assert not unexplained


def test_versions_confidence_and_cited_pages(items: list[EvidenceDraft]) -> None:
    found = technologies(items)
    for planted in demo_site().manifest["technologies"]:
        slug = SLUG_ALIASES.get(planted["slug"], planted["slug"])
        if slug in NOT_FINGERPRINTABLE or slug in VERSION_GAPS or planted["version"] in (None, "GA4"):
            continue
        assert found[slug].data["version"] == planted["version"], slug
    nextjs = found["next-js"].data
    assert 0.0 < nextjs["confidence"] <= 1.0 and found["next-js"].confidence == nextjs["confidence"]
    signals = {(m["signal"], m["page"] is not None) for m in nextjs["matches"]}
    assert ("scriptSrc", True) in signals and ("headers", True) in signals
    assert "seen on /" in found["next-js"].summary
    assert all(len(item.data["matches"]) <= MAX_MATCHES_PER_TECHNOLOGY for item in found.values())
    react = found["react"].data
    assert "Next.js" in react["implied_by"] or react["matches"]
    route53 = found["amazon-route-53"].data
    assert [m["signal"] for m in route53["matches"]] == ["dns"] and route53["matches"][0]["page"] is None


def test_hosting_attribution_cross_checks_cnames_and_headers(items: list[EvidenceDraft]) -> None:
    hosting = {item.dedup_key: item for item in items if item.type == EvidenceType.HOSTING}
    site = demo_site()
    for name, planted in site.manifest["dns"]["cnames"].items():
        [item] = [h for key, h in hosting.items() if key.startswith(name + " ") and h.data["cname_match"]]
        assert item.data["provider"] == planted["attribution"]
        assert item.data["cname_match"] == planted["target"]
    www = hosting[f"www.{site.domain} amazon-cloudfront"]
    assert www.data["header_cues"] and www.confidence == 0.95
    docs = hosting[f"docs.{site.domain} cloudflare"]
    assert "cf-ray" in docs.data["header_cues"] and docs.confidence == 0.95


def test_resumed_run_gives_the_same_items(items: list[EvidenceDraft]) -> None:
    resumed = run_collector(TechnologyCollector(now=site_day()), demo_site(), resume=True)
    assert sorted((i.type, i.dedup_key, json.dumps(i.data, sort_keys=True)) for i in resumed) == sorted(
        (i.type, i.dedup_key, json.dumps(i.data, sort_keys=True)) for i in items
    )


def test_planted_end_of_life_versions_are_flagged_and_nothing_else(items: list[EvidenceDraft]) -> None:
    found = technologies(items)
    planted = {
        SLUG_ALIASES.get(t["slug"], t["slug"]): t["end_of_life"]
        for t in demo_site().manifest["technologies"]
        if t["end_of_life"]
    }
    assert planted, "the fixture site must plant at least one end-of-life technology"
    flagged = {slug: item.data["eol"]["date"] for slug, item in found.items() if item.data["end_of_life"]}
    assert flagged == planted
    angular = found["angularjs"]
    assert angular.data["version"] == "1.8.2" and angular.data["eol"]["cycle"] == "1"
    assert "past end of life: support for the 1.x cycle ended on 2021-12-31" in angular.summary
    # A tracked product on a supported cycle says so; an untracked one is left unjudged.
    assert found["jquery"].data["end_of_life"] is False and found["jquery"].data["eol"]["cycle"] == "3"
    assert found["sentry"].data["end_of_life"] is None and found["sentry"].data["eol"] is None


def test_end_of_life_is_judged_on_the_collection_day() -> None:
    before = run_collector(TechnologyCollector(now=date(2024, 4, 23)), demo_site())
    nginx = technologies(before)["nginx"].data
    assert nginx["version"] == "1.24.0" and nginx["end_of_life"] is False
    assert nginx["eol"]["note"].startswith("support for the 1.24.x cycle ends on 2024-04-23")


def test_hosting_helpers() -> None:
    cues = hosting_cues([("Via", "1.1 abc.cloudfront.net (CloudFront)"), ("Server", "cloudflare")])
    assert set(cues) == {"amazon-cloudfront", "cloudflare"}
    match = cname_provider(["shop.example.com", "example.netlify.app."])
    assert match is not None and match[0].provider == "Netlify" and match[1] == "example.netlify.app"
    assert cname_provider(["www.example.com"]) is None


def test_an_unknown_generator_is_its_own_item_never_a_technology_name(items: list[EvidenceDraft]) -> None:
    generators = {item.data["generator"]: item for item in items if item.type == EvidenceType.GENERATOR}
    assert set(generators) == {"HireBoard"}
    board = generators["HireBoard"]
    assert board.dedup_key == "hireboard"
    assert board.data["pages"] and board.source_url in board.data["pages"]
    assert board.data["excerpt"] == '<meta name="generator" content="HireBoard">'
    assert not any("hireboard" in item.dedup_key for item in technologies(items).values())
    # the generator a fingerprint explains (Docusaurus) stays a technology only
    assert "docusaurus" in technologies(items)


def test_technology_items_carry_the_names_other_tools_use(items: list[EvidenceDraft]) -> None:
    found = technologies(items)
    assert found["google-recaptcha"].data["aliases"] == ["reCAPTCHA"]
    assert all(isinstance(item.data["aliases"], list) for item in found.values())


def test_generators_survive_a_checkpoint() -> None:
    resumed = run_collector(TechnologyCollector(now=site_day()), demo_site(), resume=True)
    assert {item.data["generator"] for item in resumed if item.type == EvidenceType.GENERATOR} == {
        "HireBoard"
    }
