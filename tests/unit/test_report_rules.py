"""Findings rules as data: coverage of every criterion and category, conditions, and the method page in sync."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from techscaniq.domain import Evidence
from techscaniq.report.method import scoring_markdown
from techscaniq.report.rules import Impact, apply_rules, load_rules, parse_rule, parse_rule_file
from techscaniq.theses import CATEGORIES, THESES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scoring.md"


def _item(type_: str, data: dict, key: str = "k", title: str = "t") -> Evidence:
    return Evidence(
        id=f"id-{type_}-{key}",
        scan_id="s",
        type=type_,
        category="technology",
        title=title,
        summary="s",
        data=data,
        source_url="https://example.test/",
        collector="c",
        confidence=0.9,
        dedup_key=key,
        collected_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_every_stock_criterion_has_at_least_two_rules() -> None:
    rules = load_rules()
    for thesis in THESES.values():
        for criterion in thesis.criteria:
            feeding = [r.id for r in rules if criterion.id in r.criteria]
            assert len(feeding) >= 2, (thesis.slug, criterion.id, feeding)


def test_every_category_has_at_least_two_rules() -> None:
    rules = load_rules()
    for category in CATEGORIES:
        assert len([r for r in rules if category in r.categories]) >= 2, category


def test_rule_ids_are_unique_and_negative_rules_carry_a_remedy() -> None:
    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules)
    for rule in rules:
        assert rule.explanation, rule.id
        if rule.impact is Impact.NEGATIVE:
            assert rule.remedy is not None and rule.points < 0
        if rule.impact is Impact.POSITIVE:
            assert rule.points > 0


def test_method_page_is_generated_from_the_rules() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert text == scoring_markdown(), "regenerate: python -m techscaniq.report.method > docs/scoring.md"
    for rule in load_rules():
        assert f"#### {rule.id} · {rule.name}" in text
        assert f"**{rule.points:+d} points**" in text


def test_conditions_match_as_written() -> None:
    rules = {r.id: r for r in load_rules()}
    strong = _item("observatory_score", {"score": 80, "grade": "B+", "tests_passed": 11, "tests_failed": 1})
    weak = _item("observatory_score", {"score": 49, "grade": "D+"})
    assert rules["SEC-01"].matches(strong) and not rules["SEC-01"].matches(weak)
    assert rules["SEC-02"].matches(weak) and not rules["SEC-02"].matches(strong)
    assert not rules["SEC-01"].matches(_item("observatory_score", {"score": "80"}))  # not a number
    legacy = _item("technology", {"slug": "AngularJS", "name": "AngularJS"})
    assert rules["TEC-02"].matches(legacy)  # case-insensitive
    cdn_by_kind = _item("hosting", {"provider": "Fastly", "kind": "cdn"})
    cdn_by_category = _item("technology", {"name": "Fastly", "categories": ["CDN"]})
    assert rules["INF-01"].matches(cdn_by_kind) and rules["INF-01"].matches(cdn_by_category)
    assert not rules["INF-01"].matches(
        _item("technology", {"name": "React", "categories": ["JavaScript frameworks"]})
    )


def test_findings_fill_the_observation_and_cite_the_matching_items() -> None:
    items = [_item("observatory_score", {"score": 92, "grade": "A", "tests_passed": 12, "tests_failed": 0})]
    findings = apply_rules(load_rules(), items)
    sec01 = next(f for f in findings if f.rule.id == "SEC-01")
    assert sec01.observation == "The HTTP Observatory score is 92 (grade A), with 12 of 12 tests passed."
    assert sec01.evidence_ids == (items[0].id,) and sec01.points == 15


def test_min_items_and_names_in_observations() -> None:
    tools = [_item("technology", {"name": n, "categories": ["Analytics"]}, key=n) for n in "ABCDEF"]
    findings = {f.rule.id: f for f in apply_rules(load_rules(), tools)}
    assert "WEB-07" in findings and findings["WEB-07"].observation.startswith("6 analytics")
    assert "A, B, C, D, E and 1 more" in findings["WEB-07"].observation
    findings = {f.rule.id for f in apply_rules(load_rules(), tools[:5])}
    assert "WEB-07" not in findings


def test_missing_fields_never_fire_and_never_crash() -> None:
    items = [
        _item(t, {}) for t in ("observatory_score", "tls_certificate", "dmarc", "changelog", "jobs_summary")
    ]
    fired = {f.rule.id for f in apply_rules(load_rules(), items)}
    assert not fired & {
        "SEC-01",
        "SEC-02",
        "SEC-06",
        "SEC-07",
        "DEV-05",
        "DEV-06",
        "TEAM-01",
        "TEAM-02",
        "SEC-11",
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "bad"}, "must look like"),
        ({"evidence": "no_such_type"}, "unknown or missing evidence types"),
        ({"when": {"score": {"roughly": 3}}}, "unknown operator"),
        ({"points": -5}, "positive rules need positive points"),
        ({"criteria": ["not-a-criterion"]}, "unknown criteria"),
        ({"impact": "negative", "points": -5}, "needs a remedy"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(change: dict, message: str) -> None:
    raw = {
        "id": "TST-01",
        "name": "n",
        "evidence": "technology",
        "observation": "o",
        "impact": "positive",
        "points": 5,
        "categories": ["technology-modernity"],
        "criteria": ["legacy-modernization-path"],
    }
    with pytest.raises(ValueError, match=message):
        parse_rule({**raw, **change}, "test")


def test_a_rule_file_parses_into_area_title_and_rules() -> None:
    text = """
area: extra
title: Extra rules
rules:
  - id: EXT-01
    name: Something
    evidence: [technology]
    when: {slug: react}
    observation: "React seen"
    impact: positive
    points: 3
    categories: [technology-modernity]
    criteria: [legacy-modernization-path]
"""
    area, title, rules = parse_rule_file(text)
    assert (area, title, [r.id for r in rules]) == ("extra", "Extra rules", ["EXT-01"])
