"""The pages collector on the demo site's real responses (helpers in tests/support/collectors.py)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from techscaniq.demo.site import Site, build_site
from techscaniq.domain import EvidenceType
from techscaniq.evidence.collect import CollectorRun, _call
from techscaniq.evidence.collectors.base import CrawledPage
from techscaniq.evidence.collectors.pages import (
    EVIDENCE_BEARING_CLASSES,
    PagesCollector,
    block_texts,
    main_text,
    parsed,
    sentences,
)
from techscaniq.evidence.fetch import FetchResult, GuardedFetcher
from tests.support.collectors import (
    SITE_PORT,
    assert_well_formed,
    by_key,
    crawled_page,
    demo_site,
    failed_page,
    make_context,
    of_type,
    run,
    run_resumed,
    site_pages,
)

# -- the pages collector -----------------------------------------------------------------------------------------


@pytest.fixture
def site() -> Site:
    return demo_site()


def test_one_page_item_per_url_with_html_facts(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    items = run(PagesCollector(), pages, make_context(site, offline_fetcher))
    assert_well_formed(items)
    page_items = {item.dedup_key: item for item in of_type(items, EvidenceType.PAGE)}
    assert set(page_items) == {page.url for page in pages}
    pricing = page_items[site.manifest["pricing"]["url"]].data
    assert pricing["status"] == 200
    assert pricing["content_type"] == "text/html"
    assert pricing["title"] == "Pricing | Northwind Ledger"
    assert pricing["meta_description"].startswith("Plans and prices for Northwind Ledger")
    assert pricing["canonical"] == site.manifest["pricing"]["url"]
    assert pricing["lang"] == "en"
    assert pricing["page_class"] == "pricing"
    assert pricing["word_count"] > 100
    assert pricing["outlinks"] > 20
    assert "Pricing that grows with your finance team" in pricing["main_text_excerpt"]
    assert len(pricing["main_text_sha256"]) == 64
    blog = page_items[site.manifest["blog"]["url"]].data
    assert "main_text_sha256" not in blog  # blog pages are not evidence-bearing: no trafilatura


def test_locales_from_hreflang(site: Site, offline_fetcher: GuardedFetcher) -> None:
    items = run(PagesCollector(), site_pages(site), make_context(site, offline_fetcher))
    [locales] = of_type(items, EvidenceType.LOCALES)
    expected = {code for code in site.manifest["hreflang"] if code != "x-default"}
    assert set(locales.data["languages"]) == expected
    assert locales.data["x_default"] == site.manifest["home"]
    home = next(i for i in of_type(items, EvidenceType.PAGE) if i.dedup_key == site.manifest["home"])
    assert set(home.data["hreflang"]) == set(site.manifest["hreflang"])


def test_failed_fetches_become_fetch_failure_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    broken = failed_page(site.url("www", "/labs/live-feed"), "deadline_exceeded")
    missing = crawled_page(site, site.url("www", "/no-such-page"))
    items = run(PagesCollector(), [broken, missing], make_context(site, offline_fetcher))
    failures = {
        item.dedup_key: item.data["error_code"] for item in of_type(items, EvidenceType.FETCH_FAILURE)
    }
    assert failures == {broken.url: "deadline_exceeded", missing.url: "http_404"}
    assert [item.dedup_key for item in of_type(items, EvidenceType.PAGE)] == [missing.url]


def test_broken_and_binary_input_does_not_crash(site: Site, offline_fetcher: GuardedFetcher) -> None:
    url = site.url("www", "/labs/broken")
    junk = [
        '<html><head><title>Legacy</head><body><table><tr><td>Q1<td>Q2<p>Totals <b><i>x</b></i> <a href="?x=<2">n',
        "\x00\x01\x02 binary \xff\xfe",
        "",
        "<html><head><link rel=alternate hreflang href=></head><body></body></html>",
    ]
    for html in junk:
        page = crawled_page(site, site.manifest["home"])
        page = CrawledPage(url, url, page.host, "security", 1, page.fetch, html, "link")
        list(PagesCollector().on_page(page, make_context(site, offline_fetcher)))


def test_state_restore_gives_the_same_items(site: Site, offline_fetcher: GuardedFetcher) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    whole = run(PagesCollector(), pages, context)
    resumed = run_resumed(PagesCollector, pages, len(pages) // 2, context)
    assert by_key(resumed) == by_key(whole)


def test_main_text_is_extracted_for_the_first_pages_of_each_class(
    site: Site, offline_fetcher: GuardedFetcher
) -> None:
    pages = site_pages(site)
    context = make_context(site, offline_fetcher)
    context.settings = context.settings.with_overrides(main_text_pages_per_class=1)
    items = of_type(run(PagesCollector(), pages, context), EvidenceType.PAGE)
    with_text: dict[str, list[str]] = {}
    for item in items:
        if "main_text_sha256" in item.data:
            with_text.setdefault(item.data["page_class"], []).append(item.dedup_key)
    evidence_bearing = {page.page_class for page in pages if page.page_class in EVIDENCE_BEARING_CLASSES}
    assert set(with_text) == evidence_bearing and all(len(urls) == 1 for urls in with_text.values())
    first_docs = next(page.url for page in pages if page.page_class == "docs")
    assert with_text["docs"] == [first_docs]  # the first in crawl order
    # A resumed crawl counts the pages it extracted before the crash.
    resumed = of_type(run_resumed(PagesCollector, pages, len(pages) // 2, context), EvidenceType.PAGE)
    assert sum("main_text_sha256" in item.data for item in resumed) == len(evidence_bearing)


def _page_with(site: Site, html: str, page_class: str = "security") -> CrawledPage:
    page = crawled_page(site, site.manifest["home"])
    fetch = FetchResult(
        requested_url=page.url, final_url=page.url, status=200, body=html.encode(), content_type="text/html"
    )
    return CrawledPage(page.url, page.url, page.host, page_class, 1, fetch, html, "link")


NAVIGATION = (
    "<nav><ul>"
    + "".join(f"<li><a href='/{w}'>{w}</a></li>" for w in ("Product", "Pricing", "Docs"))
    + "</ul></nav>"
)
ARTICLE = (
    "<h1>Security at Northwind</h1><p>" + "We encrypt customer data at rest and in transit. " * 12 + "</p>"
)


@pytest.mark.parametrize(
    ("body", "starts_with"),
    [
        # The <main> landmark bounds the text: the navigation around it stays out.
        (
            f"{NAVIGATION}<main>{ARTICLE}</main><footer><p>Copyright 2025</p></footer>",
            "Security at Northwind",
        ),
        # Without one landmark (none, or two), trafilatura reads the whole page.
        (f"<div>{ARTICLE}</div>", None),
        (f"<main>{ARTICLE}</main><main hidden><p>Old version</p></main>", None),
        # An empty landmark (an app shell) falls back to the whole page.
        (f"{NAVIGATION}<main></main><article>{ARTICLE}</article>", None),
    ],
)
def test_main_text_reads_the_main_landmark(site: Site, body: str, starts_with: str | None) -> None:
    page = _page_with(site, f"<html><head><title>Security</title></head><body>{body}</body></html>")
    tree = parsed(page)
    assert tree is not None
    text = main_text(page, tree)
    assert text is not None and "We encrypt customer data at rest" in text
    if starts_with is not None:
        assert text.startswith(starts_with) and "Product" not in text and "Copyright" not in text


def test_block_texts_skip_blocks_that_hold_other_blocks(site: Site) -> None:
    html = (
        "<ul><li>Plans<ul><li>Starter</li><li>Growth <b>plan</b></li></ul></li></ul>"
        "<table><tr><td><p>SOC 2 Type II</p></td><td>ISO 27001</td></tr></table>"
        "<h2>Status <p>inside</p></h2><blockquote>Quoted</blockquote><p></p>"
    )
    tree = parsed(_page_with(site, f"<html><body>{html}</body></html>"))
    assert tree is not None
    texts = [text for _, text in block_texts(tree)]
    # Headings are kept even when a block sits inside; cells and items with blocks inside are not.
    assert texts == [
        "Starter",
        "Growth plan",
        "SOC 2 Type II",
        "ISO 27001",
        "Status inside",
        "inside",
        "Quoted",
    ]
    assert block_texts(tree) is block_texts(tree)  # computed once per page for every collector that reads it


def test_sentences_keep_abbreviations() -> None:
    text = "Copyright Northwind Ledger, Inc. All rights reserved. We ship weekly! Really? Yes."
    assert sentences(text) == [
        "Copyright Northwind Ledger, Inc. All rights reserved.",
        "We ship weekly!",
        "Really?",
        "Yes.",
    ]


JUNK_HTML = [
    '<html><head><title>x</head><body><table><tr><td>SOC 2<td>not<p>FedRAMP: no <a href="mailto:">x</a>'
    '<a href="tel:">t</a><a href="http://[::1">bad</a><a href="https://github.com/">g</a>'
    '<time datetime="garbage">x</time><redoc spec-url="javascript:alert(1)"></redoc><img alt>'
    '<div class="plan"><h2></h2>$</div>',
    '<script type="application/ld+json">{"@type":"Organization","name":{"x":[1]},"address":[1,2],"sameAs":5,'
    '"numberOfEmployees":{"value":null}}</script><script type="application/ld+json">{broken',
    '<div class="leader"><h3>' + "A " * 5000 + "</h3></div><p>" + "x" * 200_000 + "</p>",
    "\x00\x01 binary \ufffd\ufffd",
]


def test_every_collector_survives_hostile_and_junk_pages(offline_fetcher: GuardedFetcher) -> None:
    from techscaniq.evidence.collectors import business, compliance, developer, hiring, performance  # noqa: F401
    from techscaniq.evidence.collectors.base import registered

    site = build_site(port=SITE_PORT, pages=30, include_hostile=True)
    hostile = [crawled_page(site, p["url"], "security") for p in site.manifest["hostile"]["pages"]]
    base = hostile[0]
    junk = [
        CrawledPage(
            site.url("www", f"/changelog/j{i}-{cls}"), base.url, base.host, cls, 1, base.fetch, html, "link"
        )
        for i, html in enumerate(JUNK_HTML)
        for cls in (
            "pricing",
            "security",
            "careers",
            "about",
            "docs",
            "customers",
            "integrations",
            "privacy",
            "terms",
        )
    ]
    pages = [*hostile, *junk, failed_page(site.url("www", "/t"), "read_timeout")]
    context = make_context(site, offline_fetcher)
    names = {"pages", "business", "compliance", "developer", "hiring", "performance"}
    assert names <= set(registered())
    for name in sorted(names):
        items = run(registered()[name](), pages, context)
        assert_well_formed(items)
    claims = run(registered()["compliance"](), junk, context)
    assert not [i for i in claims if i.type == EvidenceType.COMPLIANCE_CLAIM and i.dedup_key == "fedramp"]


def test_a_crashing_collector_leaves_an_item_with_a_reference_and_its_exception_only_in_the_log(
    site: Site, offline_fetcher: GuardedFetcher, caplog: pytest.LogCaptureFixture
) -> None:
    def crash() -> list[Any]:
        raise RuntimeError("could not open /srv/techscaniq/secrets.env with password=hunter2")

    run = CollectorRun(collector=PagesCollector())
    with caplog.at_level(logging.ERROR, logger="techscaniq.evidence.collect"):
        [item] = _call("pages", run, crash, make_context(site, offline_fetcher))
    shown = json.dumps([item.title, item.summary, item.data, run.error])
    assert (
        item.type == EvidenceType.COLLECTOR_ERROR and item.data["code"] == "collector_crashed" and run.failed
    )
    assert "hunter2" not in shown and "/srv/" not in shown and "RuntimeError" not in shown
    reference = re.search(r"reference ([0-9a-f]{12})", item.summary)
    assert reference is not None
    [record] = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])
