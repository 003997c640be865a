"""Challenge and block pages of the bot-protection vendors, and ordinary pages that must not count as one."""

from __future__ import annotations

import pytest

from techscaniq.config import Settings
from techscaniq.demo.site import Site, build_site
from techscaniq.evidence.bot_protection import MARKERS, VENDOR_TECHNOLOGIES, check_response
from techscaniq.evidence.collect import _page_call, load_collectors
from techscaniq.evidence.collectors.base import CollectContext, CrawledPage, PageClass
from techscaniq.evidence.collectors.technology import TechnologyCollector
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from tests.support.challenge_samples import (
    AKAMAI_ACCESS_DENIED,
    AKAMAI_SEC_CPT,
    AWS_WAF_CHALLENGE,
    CLOUDFLARE_1020_BLOCK,
    CLOUDFLARE_LEGACY_IUAM,
    CLOUDFLARE_MANAGED_CHALLENGE,
    DATADOME_BLOCK,
    IMPERVA_INCIDENT,
    IMPERVA_JS_CHALLENGE,
    KASADA_BLOCK,
    PERIMETERX_BLOCK,
    SUCURI_BLOCK,
)
from tests.support.collectors import make_scan


@pytest.mark.parametrize(
    ("sample", "vendor", "outcome"),
    [
        (CLOUDFLARE_MANAGED_CHALLENGE, "Cloudflare", "challenge"),
        (CLOUDFLARE_LEGACY_IUAM, "Cloudflare", "challenge"),
        (CLOUDFLARE_1020_BLOCK, "Cloudflare", "block"),
        (AKAMAI_ACCESS_DENIED, "Akamai", "block"),
        (AKAMAI_SEC_CPT, "Akamai", "challenge"),
        (DATADOME_BLOCK, "DataDome", "challenge"),
        (PERIMETERX_BLOCK, "PerimeterX (HUMAN)", "challenge"),
        (IMPERVA_INCIDENT, "Imperva", "block"),
        (IMPERVA_JS_CHALLENGE, "Imperva", "challenge"),
        (AWS_WAF_CHALLENGE, "AWS WAF", "challenge"),
        (KASADA_BLOCK, "Kasada", "challenge"),
        (SUCURI_BLOCK, "Sucuri", "block"),
    ],
)
def test_challenge_and_block_pages_are_recognised(
    sample: tuple[int, list[tuple[str, str]], str], vendor: str, outcome: str
) -> None:
    status, headers, body = sample
    check = check_response(status, headers, body)
    assert check.challenged
    assert (check.vendor, check.outcome) == (vendor, outcome)
    assert check.signals and all(":" in signal for signal in check.signals)
    assert check.technologies == VENDOR_TECHNOLOGIES[vendor]


def test_cloudflare_header_alone_marks_a_challenge_whatever_the_body() -> None:
    check = check_response(403, [("cf-mitigated", "challenge")], "")
    assert (check.vendor, check.outcome) == ("Cloudflare", "challenge")
    assert "challenge: header cf-mitigated: challenge" in check.signals


PRODUCT_PAGE_ABOUT_CLOUDFLARE = """<!DOCTYPE html><html><head><title>Why we moved our edge to Cloudflare | Acme</title>
<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js" async></script></head><body><main>
<h1>Why we moved our edge to Cloudflare</h1>
<p>Visitors used to see a "Just a moment..." page from Cloudflare and an "Access Denied" page with a Reference #
from Akamai. Our old WAF said "Request unsuccessful. Incapsula incident ID" to good customers, DataDome answered from
geo.captcha-delivery.com, and the PerimeterX page asked people to Press &amp; Hold inside px-captcha.</p>
<pre><code>&lt;title&gt;Just a moment...&lt;/title&gt; window._cf_chl_opt = {cType: 'managed'}</code></pre>
<p>We also tried AWS WAF (x-amzn-waf-action) and Kasada (window.KPSDK = {}).</p>
</main></body></html>"""


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        # A marketing page behind Cloudflare that talks about every vendor: served, so not a challenge.
        (
            200,
            [
                ("Server", "cloudflare"),
                ("CF-RAY", "8a1b2c3d4e5f6a7b-SEA"),
                ("Set-Cookie", "__cf_bm=abc; path=/"),
            ],
            PRODUCT_PAGE_ABOUT_CLOUDFLARE,
        ),
        # An origin's own 403 and 503 pages without any vendor's markup.
        (
            403,
            [("Server", "nginx")],
            "<html><head><title>403 Forbidden</title></head><body>Access Denied</body></html>",
        ),
        (
            503,
            [("Server", "nginx")],
            "<html><head><title>Just a moment</title></head><body>Maintenance</body></html>",
        ),
        # A Cloudflare 404 is a Cloudflare answer, but not a challenge.
        (404, [("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f6a7b-SEA")], "<h1>Not found</h1>"),
        # DataDome's header on a page it let through.
        (
            200,
            [("X-DataDome", "protected"), ("Set-Cookie", "datadome=abc; path=/")],
            "<html><body>Shop</body></html>",
        ),
        # A long 200 page quoting the Incapsula incident text in its prose.
        (
            200,
            [],
            "<html><body>"
            + "<p>Our support article.</p>" * 2000
            + "Incapsula incident ID: 12-34</body></html>",
        ),
        # A failed fetch has nothing to judge.
        (None, [], ""),
    ],
)
def test_ordinary_pages_are_not_challenges(
    status: int | None, headers: list[tuple[str, str]], body: str
) -> None:
    assert not check_response(status, headers, body).challenged


def test_protection_seen_on_a_served_page_names_the_vendor() -> None:
    check = check_response(
        200,
        [("Server", "cloudflare"), ("Set-Cookie", "__cf_bm=abc; path=/; HttpOnly")],
        PRODUCT_PAGE_ABOUT_CLOUDFLARE,
    )
    assert (check.vendor, check.outcome) == ("Cloudflare", None)
    assert "protection: cookie __cf_bm" in check.signals
    edge_only = check_response(200, [("Server", "cloudflare"), ("CF-RAY", "1-SEA")], "<html></html>")
    assert edge_only.vendor is None and not edge_only.signals


def test_every_vendor_has_a_decisive_marker_and_technologies() -> None:
    vendors = {marker.vendor for marker in MARKERS}
    assert vendors == set(VENDOR_TECHNOLOGIES)
    for vendor in vendors:
        assert any(m.decisive for m in MARKERS if m.vendor == vendor), vendor


def _portal_page(site: Site) -> CrawledPage:
    host = site.manifest["bot_protection"]["host"]
    response = site.lookup(host, "/pricing")
    assert response is not None
    url = site.url("portal", "/pricing")
    result = FetchResult(url, url, response.status, list(response.headers), response.body)
    html = response.body.decode()
    check = check_response(response.status, response.headers, html)
    return CrawledPage(url, url, host, PageClass.PRICING, 1, result, html, "probe", bot_check=check)


def test_a_challenge_page_reaches_only_the_collectors_that_ask_for_it() -> None:
    site = build_site(port=443, scheme="https", pages=30)
    page = _portal_page(site)
    facts = site.manifest["bot_protection"]
    assert page.challenged and page.bot_check.vendor == facts["vendor"]
    context = CollectContext(
        make_scan(page.url), Settings(), GuardedFetcher(Settings()), site.url("portal", "/"), site.domain
    )
    collectors = {name: factory() for name, factory in load_collectors().items()}
    routed = {
        name for name, collector in collectors.items() if _page_call(collector, page, context) is not None
    }
    # Security notes a challenged home page only (its grade is then "not seen"); this one is not the home.
    assert routed == {"bot_protection", "technology", "security"}
    list(_page_call(collectors["security"], page, context)())
    assert collectors["security"].state()["home_challenge"] is None
    home = CrawledPage(
        **{**vars(page), "url": site.url("portal", "/"), "depth": 0, "page_class": PageClass.HOME}
    )
    list(_page_call(collectors["security"], home, context)())
    noted = collectors["security"].state()["home_challenge"]
    assert (noted["vendor"], noted["outcome"], noted["status"]) == ("Cloudflare", "challenge", 403)

    # The page would show Google Tag Manager as the company's; on a challenge page only the vendor counts.
    unfiltered = TechnologyCollector()
    list(unfiltered.on_page(page, context))
    assert set(facts["technologies_on_page_not_to_report"]) <= set(unfiltered.state()["technologies"])
    technology = collectors["technology"]
    list(_page_call(technology, page, context)())
    found = set(technology.state()["technologies"])
    assert "Cloudflare" in found and found <= set(facts["technologies_allowed"])

    protection = collectors["bot_protection"]
    list(_page_call(protection, page, context)())
    items = list(protection.finish(context))
    assert [(i.type, i.dedup_key) for i in items] == [("bot_protection", facts["host"])]
    assert items[0].data["pages_blocked"] == items[0].data["pages_answered"] == 1
    assert items[0].data["vendor"] == "Cloudflare"
