"""The report's coverage facts for a site that answered some requests with bot-protection challenges."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from techscaniq.domain import Evidence, with_article
from techscaniq.report.coverage_facts import MAX_BLOCKED_CONFIDENCE_PENALTY, site_coverage, unseen_checks


def _item(item_id: str, type_: str, **data: Any) -> Evidence:
    return Evidence(
        id=item_id,
        scan_id="scan-1",
        type=type_,
        category="security",
        title="",
        summary="",
        data=data,
        source_url="https://example.test/",
        collector="bot_protection",
        confidence=0.95,
        dedup_key=str(data.get("host", item_id)),
        collected_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _protection(item_id: str, host: str, blocked: int, answered: int, **extra: Any) -> Evidence:
    return _item(
        item_id,
        "bot_protection",
        host=host,
        vendor="Cloudflare",
        pages_blocked=blocked,
        pages_answered=answered,
        outcomes={"challenge": blocked} if blocked else {},
        site_pages_answered=45,
        site_pages_blocked=41,
        **extra,
    )


def _six_rendered_past_the_challenge() -> Evidence:
    return _protection(
        "ev-1",
        "www.example.test",
        41,
        45,
        pages_rendered_past_challenge=6,
        site_pages_rendered_past_challenge=6,
    )


def test_the_site_sentence_says_how_much_was_seen() -> None:
    evidence = [
        _protection("ev-1", "www.example.test", 30, 32),
        _protection("ev-2", "app.example.test", 11, 11),
        _protection("ev-3", "docs.example.test", 0, 2),  # the bot product without a challenge
        _item("ev-4", "page", host="www.example.test"),
    ]
    coverage = site_coverage(evidence)
    assert coverage is not None
    assert coverage.sentence() == (
        "The site answered 41 of 45 requests with a Cloudflare challenge; these findings rest on 4 pages."
    )
    assert coverage.evidence_ids == ["ev-1", "ev-2"]
    assert coverage.host_sentences() == [
        "app.example.test answered 11 of 11 requests with a Cloudflare challenge.",
        "www.example.test answered 30 of 32 requests with a Cloudflare challenge.",
    ]
    assert coverage.confidence_penalty == round(MAX_BLOCKED_CONFIDENCE_PENALTY * 41 / 45)
    assert coverage.data_gap()["question"].startswith(coverage.sentence())


def test_no_challenge_no_coverage_facts() -> None:
    assert site_coverage([_protection("ev-3", "docs.example.test", 0, 2)]) is None
    assert site_coverage([]) is None


def test_pages_the_browser_rendered_past_the_challenge_count_as_seen() -> None:
    evidence = [_six_rendered_past_the_challenge()]
    coverage = site_coverage(evidence)
    assert coverage is not None and coverage.rendered == 6 and coverage.seen == 10
    assert coverage.sentence() == (
        "The site answered 41 of 45 requests with a Cloudflare challenge; the browser passed it and rendered "
        "6 pages; these findings rest on 10 pages."
    )
    # A page rendered past the challenge was seen after all: the penalty counts only what stayed unseen.
    assert coverage.confidence_penalty == round(MAX_BLOCKED_CONFIDENCE_PENALTY * 35 / 45)
    gap = coverage.data_gap()["question"]
    assert gap.startswith(coverage.sentence()) and "only the pages the browser rendered were analysed" in gap


def test_pages_found_behind_the_challenge_but_past_the_render_limit_count_as_unseen() -> None:
    evidence = [
        _six_rendered_past_the_challenge(),
        _item(
            "ev-2",
            "render_summary",
            past_challenge=["https://www.example.test/"],
            past_challenge_not_rendered=9,
        ),
    ]
    coverage = site_coverage(evidence)
    assert coverage is not None and coverage.not_rendered == 9 and coverage.seen == 10
    assert coverage.sentence() == (
        "The site answered 41 of 45 requests with a Cloudflare challenge; the browser passed it and rendered "
        "6 pages, but 9 more pages found behind it were not rendered (the render page limit was reached); "
        "these findings rest on 10 pages."
    )
    # Known pages that stayed unseen weigh like challenged ones: 35 unseen answers and 9 unseen pages of 54.
    assert coverage.confidence_penalty == round(MAX_BLOCKED_CONFIDENCE_PENALTY * 44 / 54)


def test_a_check_left_ungraded_by_a_challenge_is_named_with_its_reason() -> None:
    challenge = {
        "vendor": "Cloudflare",
        "outcome": "challenge",
        "url": "https://www.example.test/",
        "signals": [],
    }
    evidence = [
        _item(
            "ev-9",
            "observatory_score",
            check="HTTP Observatory grade and security headers",
            not_seen="the root answered with a Cloudflare challenge",
            challenge=challenge,
            score=None,
        ),
        _item("ev-10", "observatory_score", score=80, grade="B+"),
    ]
    [unseen] = unseen_checks(evidence)
    assert unseen.evidence_id == "ev-9"
    assert unseen.sentence() == (
        "HTTP Observatory grade and security headers not seen: the root answered with a Cloudflare challenge; "
        "no grade was given and nothing was scored from it."
    )


def test_vendor_names_take_the_article_they_sound_with() -> None:
    assert [with_article(v) for v in ("Cloudflare", "Akamai", "Imperva", "AWS WAF", "DataDome")] == [
        "a Cloudflare", "an Akamai", "an Imperva", "an AWS WAF", "a DataDome"
    ]  # fmt: skip
