"""robots.txt rules (RFC 9309) for the techscaniq token, and the status rules for unreachable files."""

from __future__ import annotations

import pytest

from techscaniq.evidence.fetch import FetchResult
from techscaniq.evidence.robots import (
    MAX_CRAWL_DELAY_SECONDS,
    RobotsOutcome,
    policy_from_fetch,
    policy_from_text,
    robots_url,
)

ORIGIN = "https://example.com"


def allows(text: str, path: str) -> bool:
    return policy_from_text(ORIGIN, text).allows(ORIGIN + path)


def test_longest_match_wins() -> None:
    rules = "User-agent: *\nDisallow: /docs/\nAllow: /docs/public/\n"
    assert not allows(rules, "/docs/private")
    assert allows(rules, "/docs/public/page")
    rules = "User-agent: *\nAllow: /shop\nDisallow: /shop/cart\n"
    assert allows(rules, "/shop/items")
    assert not allows(rules, "/shop/cart/1")


def test_allow_wins_a_tie() -> None:
    assert allows("User-agent: *\nDisallow: /page\nAllow: /page\n", "/page")


def test_wildcards_and_end_anchor() -> None:
    rules = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\n"
    assert not allows(rules, "/files/report.pdf")
    assert allows(rules, "/files/report.pdf.html")
    assert not allows(rules, "/search?q=x")


def test_our_token_group_replaces_the_star_group() -> None:
    rules = "User-agent: *\nDisallow: /\n\nUser-agent: techscaniq\nDisallow: /private\n"
    assert allows(rules, "/pricing")
    assert not allows(rules, "/private/x")
    other_bot = "User-agent: otherbot\nDisallow: /\n"
    assert allows(other_bot, "/pricing")


def test_empty_file_and_empty_disallow_allow_everything() -> None:
    assert allows("", "/anything")
    assert allows("User-agent: *\nDisallow:\n", "/anything")


def test_crawl_delay_and_sitemaps() -> None:
    text = (
        "User-agent: *\nCrawl-delay: 0.05\nDisallow: /internal/\n\n"
        "Sitemap: https://example.com/sitemap.xml\nSitemap: https://example.com/news.xml\n"
    )
    policy = policy_from_text(ORIGIN, text)
    assert policy.outcome is RobotsOutcome.PARSED
    assert policy.crawl_delay_seconds == pytest.approx(0.05)
    assert policy.sitemaps == ("https://example.com/sitemap.xml", "https://example.com/news.xml")
    assert policy.text == text
    assert policy_from_text(ORIGIN, "User-agent: *\nDisallow: /x\n").crawl_delay_seconds is None


def test_an_absurd_crawl_delay_is_bounded() -> None:
    policy = policy_from_text(ORIGIN, "User-agent: *\nCrawl-delay: 86400\n")
    assert policy.crawl_delay_seconds == MAX_CRAWL_DELAY_SECONDS


def fetched(status: int | None, body: bytes = b"", error_code: str | None = None) -> FetchResult:
    return FetchResult(
        requested_url=robots_url(ORIGIN),
        final_url=robots_url(ORIGIN),
        status=status,
        body=body,
        content_type="text/plain",
        error_code=error_code,
    )


def test_a_2xx_file_is_parsed() -> None:
    policy = policy_from_fetch(ORIGIN, fetched(200, b"User-agent: *\nDisallow: /admin\n"))
    assert policy.outcome is RobotsOutcome.PARSED
    assert not policy.allows(ORIGIN + "/admin/users")
    assert policy.allows(ORIGIN + "/pricing")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_means_allow_all(status: int) -> None:
    policy = policy_from_fetch(ORIGIN, fetched(status, b"User-agent: *\nDisallow: /\n"))
    assert policy.outcome is RobotsOutcome.ALLOW_ALL
    assert policy.allows(ORIGIN + "/anything")


@pytest.mark.parametrize(
    ("status", "error_code"),
    [
        (500, "http_500_gave_up"),
        (503, "http_503_gave_up"),
        (429, "http_429_gave_up"),
        (None, "connect_failed"),
        (None, "dns_nxdomain"),
        (None, "deadline_exceeded"),
    ],
)
def test_5xx_or_no_answer_means_disallow_all(status: int | None, error_code: str) -> None:
    policy = policy_from_fetch(ORIGIN, fetched(status, error_code=error_code))
    assert policy.outcome is RobotsOutcome.DISALLOW_ALL
    assert not policy.allows(ORIGIN + "/")
    assert policy.error_code == error_code


def test_too_many_redirects_means_unavailable() -> None:
    policy = policy_from_fetch(ORIGIN, fetched(301, error_code="too_many_redirects"))
    assert policy.outcome is RobotsOutcome.ALLOW_ALL


def test_an_oversized_file_is_parsed_as_far_as_it_arrived() -> None:
    body = b"User-agent: *\nDisallow: /private\n" + b"# padding\n" * 100
    policy = policy_from_fetch(ORIGIN, fetched(200, body, error_code="body_too_large"))
    assert policy.outcome is RobotsOutcome.PARSED
    assert not policy.allows(ORIGIN + "/private")


def test_robots_url() -> None:
    assert robots_url("http://www.example.com:8080") == "http://www.example.com:8080/robots.txt"
