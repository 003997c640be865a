"""Page classes by path, anchor text or title (docs/evidence.md §3) and the crawl priority."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from techscaniq.demo.site import build_site
from techscaniq.evidence.collectors.base import PageClass
from techscaniq.evidence.page_class import blog_section, classify, is_blog_post, priority

W = "https://www.example.com"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", PageClass.HOME),
        ("/pricing", PageClass.PRICING),
        ("/plans", PageClass.PRICING),
        ("/editions", PageClass.PRICING),
        ("/careers", PageClass.CAREERS),
        ("/jobs/engineering", PageClass.CAREERS),
        ("/join-us", PageClass.CAREERS),
        ("/work-with-us", PageClass.CAREERS),
        ("/security", PageClass.SECURITY),
        ("/trust", PageClass.SECURITY),
        ("/compliance/soc-2", PageClass.SECURITY),
        ("/gdpr", PageClass.SECURITY),
        ("/privacy", PageClass.PRIVACY),
        ("/cookie-policy", PageClass.PRIVACY),
        ("/terms", PageClass.TERMS),
        ("/tos", PageClass.TERMS),
        ("/legal/dpa", PageClass.TERMS),
        ("/msa", PageClass.TERMS),
        ("/eula", PageClass.TERMS),
        ("/docs/getting-started", PageClass.DOCS),
        ("/developers", PageClass.DOCS),
        ("/api/reference", PageClass.DOCS),
        ("/sdk", PageClass.DOCS),
        ("/blog", PageClass.BLOG),
        ("/blog/2025/10/launch", PageClass.BLOG),
        ("/news", PageClass.BLOG),
        ("/press", PageClass.BLOG),
        ("/changelog", PageClass.BLOG),
        ("/release-notes", PageClass.BLOG),
        ("/customers", PageClass.CUSTOMERS),
        ("/case-studies/acme", PageClass.CUSTOMERS),
        ("/stories", PageClass.CUSTOMERS),
        ("/testimonials", PageClass.CUSTOMERS),
        ("/integrations/slack", PageClass.INTEGRATIONS),
        ("/marketplace", PageClass.INTEGRATIONS),
        ("/apps", PageClass.INTEGRATIONS),
        ("/partners", PageClass.INTEGRATIONS),
        ("/about", PageClass.ABOUT),
        ("/company", PageClass.ABOUT),
        ("/team", PageClass.ABOUT),
        ("/leadership", PageClass.ABOUT),
        ("/status", PageClass.STATUS),
        ("/contact", PageClass.CONTACT),
        ("/demo", PageClass.CONTACT),
        ("/sales", PageClass.CONTACT),
        ("/support", PageClass.CONTACT),
        ("/en/pricing", PageClass.PRICING),
        ("/features/automations", PageClass.OTHER),
        ("/de/", PageClass.OTHER),
    ],
)
def test_class_by_path(path: str, expected: str) -> None:
    assert classify(W + path) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://status.example.com/", PageClass.STATUS),
        ("https://acme.statuspage.io/history", PageClass.STATUS),
        ("https://trust.example.com/", PageClass.SECURITY),
        ("https://app.safebase.io/portal/acme", PageClass.SECURITY),
        ("https://docs.example.com/guides/setup", PageClass.DOCS),
        ("https://developers.example.com/", PageClass.DOCS),
        ("https://acme.readme.io/reference", PageClass.DOCS),
        ("https://boards.greenhouse.io/acme", PageClass.CAREERS),
        ("https://jobs.lever.co/acme/123", PageClass.CAREERS),
        ("https://acme.wd1.myworkdayjobs.com/External", PageClass.CAREERS),
        ("http://jobs.hireboard.test:8080/northwind-ledger/jobs/1", PageClass.CAREERS),
    ],
)
def test_class_by_host(url: str, expected: str) -> None:
    assert classify(url) == expected


def test_anchor_text_then_title_decide_unhelpful_paths() -> None:
    assert classify(W + "/p/12345", anchor_texts=["Plans & Pricing"]) == PageClass.PRICING
    assert classify(W + "/p/12345", anchor_texts=["Click here", "Work with us"]) == PageClass.CAREERS
    assert classify(W + "/p/12345", title="Trust Center | Example") == PageClass.SECURITY
    assert (
        classify(W + "/p/12345", title="Example | Pricing") == PageClass.OTHER
    )  # the site name half is ignored
    assert classify(W + "/p/12345", title="Welcome") == PageClass.OTHER
    # the path outranks anchors and title
    assert classify(W + "/careers", title="Pricing", anchor_texts=["About"]) == PageClass.CAREERS


def test_words_not_substrings() -> None:
    assert classify(W + "/teamwork-tips") == PageClass.OTHER
    assert classify(W + "/apiary") == PageClass.OTHER
    assert classify(W + "/explanations") == PageClass.OTHER


def test_every_manifest_page_is_classified_as_planted() -> None:
    site = build_site(port=8123, pages=120)
    checked = 0
    for planted, page_urls in site.manifest["pages"].items():
        for url in page_urls:
            parts = urlsplit(url)
            response = site.lookup(parts.netloc, parts.path)
            assert response is not None
            found = re.search(r"<title>(.*?)</title>", response.body.decode())
            title = found.group(1) if found else None
            got = classify(url, title)
            # The manifest has no "home" class: the home page is planted as "other".
            expected = PageClass.HOME if url == site.manifest["home"] else planted
            assert got == expected, (url, title)
            checked += 1
    assert checked == site.manifest["page_count"]


def test_priority_puts_evidence_first_and_blog_last() -> None:
    ordered = [
        (PageClass.HOME, W + "/"),
        (PageClass.PRICING, W + "/pricing"),
        (PageClass.SECURITY, W + "/security"),
        (PageClass.CAREERS, W + "/careers"),
        (PageClass.DOCS, W + "/developers"),
        (PageClass.ABOUT, W + "/about"),
        (PageClass.CONTACT, W + "/contact"),
        (PageClass.SECURITY, W + "/security/disclosure"),
        (PageClass.CAREERS, "https://jobs.lever.co/acme/123/apply"),
        (PageClass.OTHER, W + "/features"),
        (PageClass.OTHER, W + "/features/a/b"),
        (PageClass.BLOG, W + "/blog"),
        (PageClass.BLOG, W + "/blog/launch"),
    ]
    priorities = [priority(page_class, url) for page_class, url in ordered]
    assert priorities == sorted(priorities)
    assert len(set(priorities)) == len(priorities)


def test_shallow_pages_of_every_evidence_class_come_before_deep_ones() -> None:
    deep_pricing = priority(PageClass.PRICING, W + "/pricing/enterprise/compare")
    for page_class in (PageClass.CAREERS, PageClass.DOCS, PageClass.ABOUT, PageClass.STATUS):
        assert priority(page_class, W + "/x") < deep_pricing


def test_blog_posts_and_sections() -> None:
    assert not is_blog_post(PageClass.BLOG, W + "/blog")
    assert not is_blog_post(PageClass.BLOG, W + "/changelog/")
    assert is_blog_post(PageClass.BLOG, W + "/blog/launch")
    assert is_blog_post(PageClass.BLOG, W + "/changelog/2025-10-01-feature")
    assert not is_blog_post(PageClass.PRICING, W + "/pricing/x")
    assert blog_section(W + "/blog/launch") == "www.example.com/blog"
    assert blog_section(W + "/changelog/x") != blog_section(W + "/blog/x")
