"""Scoring boundaries: clamping, renormalised totals, confidence, insufficiency and the recommendation rule."""

from __future__ import annotations

import pytest

from techscaniq.report.rules import Finding, Impact, Level, Remedy, Rule, Severity
from techscaniq.report.scoring import (
    CRITICAL_EVIDENCE_TYPES,
    MINIMUM_EVIDENCE_ITEMS,
    Recommendation,
    Total,
    clamp_score,
    coverage_confidence,
    criterion_scores,
    has_high_high_risk,
    insufficiency,
    recommend,
    score_findings,
    scorecard,
    weighted_total,
)
from techscaniq.theses import Category, resolve_thesis


def _rule(
    points: int,
    *,
    criteria: tuple[str, ...] = ("service-oriented-architecture",),
    severity: str = "low",
    likelihood: str | None = None,
    impact: str | None = None,
) -> Rule:
    kind = Impact.POSITIVE if points > 0 else Impact.NEGATIVE if points < 0 else Impact.NEUTRAL
    remedy = None
    if kind is Impact.NEGATIVE:
        remedy = Remedy(
            "fix",
            "fix it",
            "CTO",
            "< $25k",
            "0-6m",
            Level(likelihood) if likelihood else None,
            Level(impact) if impact else None,
        )
    return Rule(
        id="TST-01",
        area="test",
        name="test",
        evidence=("technology",),
        when={},
        per_item=False,
        min_items=1,
        max_findings=1,
        observation="x",
        impact=kind,
        severity=Severity(severity),
        points=points,
        categories=(Category.TECHNOLOGY_MODERNITY,),
        criteria=criteria,
        explanation="",
        remedy=remedy,
    )


def _finding(points: int, **kw: object) -> Finding:
    return Finding(_rule(points, **kw), "x", ("e1",), points)  # type: ignore[arg-type]


def test_score_starts_at_fifty_and_clamps_to_the_scale() -> None:
    assert score_findings([]) is None
    assert score_findings([_finding(0)]) == 50
    assert score_findings([_finding(30), _finding(30)]) == 100
    assert score_findings([_finding(-30), _finding(-30)]) == 0
    assert score_findings([_finding(12), _finding(-5)]) == 57


def test_rounding_is_half_up_and_clamped() -> None:
    assert clamp_score(64.5) == 65
    assert clamp_score(64.49) == 64
    assert clamp_score(-3) == 0
    assert clamp_score(140) == 100


def test_total_is_renormalised_over_scored_criteria_and_reports_unscored_weight() -> None:
    thesis = resolve_thesis("digital-transformation")
    # Only service-oriented-architecture (weight 25) is fed: the total is its score, not a diluted one.
    scores = criterion_scores(thesis, [_finding(20)])
    total = weighted_total(scores, thesis.threshold)
    assert total.score == 70
    assert total.scored_weight == 25
    assert total.unscored_weight == 75
    assert total.passed is True


def test_total_weights_each_criterion() -> None:
    thesis = resolve_thesis("digital-transformation")
    findings = [
        _finding(30, criteria=("service-oriented-architecture",)),  # 80 x 25
        _finding(-30, criteria=("platform-extensibility-design",)),
    ]  # 20 x 15
    total = weighted_total(criterion_scores(thesis, findings), thesis.threshold)
    assert total.score == clamp_score((80 * 25 + 20 * 15) / 40)
    assert total.score == 58


def test_no_scored_criterion_gives_no_total() -> None:
    thesis = resolve_thesis("digital-transformation")
    total = weighted_total(criterion_scores(thesis, []), thesis.threshold)
    assert total.score is None and total.passed is None and total.unscored_weight == 100


def _total(score: int | None, threshold: int = 65) -> Total:
    return Total(score, 100, 0, threshold, None if score is None else score >= threshold, None)


@pytest.mark.parametrize(
    ("score", "high_high", "confidence", "expected"),
    [
        (65, False, 60, Recommendation.PROCEED),
        (100, False, 100, Recommendation.PROCEED),
        (65, True, 60, Recommendation.PROCEED_WITH_CONDITIONS),
        (65, False, 59, Recommendation.PROCEED_WITH_CONDITIONS),
        (64, False, 100, Recommendation.PROCEED_WITH_CONDITIONS),
        (55, False, 100, Recommendation.PROCEED_WITH_CONDITIONS),
        (54, False, 100, Recommendation.DECLINE),
        (0, False, 100, Recommendation.DECLINE),
        (None, False, 100, None),
    ],
)
def test_recommendation_rule_boundaries(
    score: int | None, high_high: bool, confidence: int, expected: Recommendation | None
) -> None:
    assert recommend(_total(score), high_high_risk=high_high, confidence=confidence) == expected


def test_high_high_risk_comes_from_the_rule_or_the_severity() -> None:
    assert has_high_high_risk([_finding(-5, severity="critical")])
    assert has_high_high_risk([_finding(-5, likelihood="High", impact="High")])
    assert not has_high_high_risk([_finding(-5, severity="high")])
    assert not has_high_high_risk([_finding(5, severity="critical")])


def test_missing_critical_evidence_lowers_confidence_by_ten_each_at_most_fifty() -> None:
    full = Total(70, 100, 0, 65, True, "B")
    everything = set(CRITICAL_EVIDENCE_TYPES)
    assert coverage_confidence(full, everything) == 100
    assert coverage_confidence(full, everything - {"dmarc"}) == 90
    assert coverage_confidence(full, everything - {"dmarc", "spf"}) == 80
    assert coverage_confidence(full, set()) == 50  # seven missing, capped at 50
    half = Total(70, 50, 50, 65, True, "B")
    assert coverage_confidence(half, everything) == 50


def test_missing_critical_evidence_never_changes_the_score() -> None:
    thesis = resolve_thesis("digital-transformation")
    findings = [_finding(20)]
    with_all = scorecard(thesis, findings, ["technology"] * 30 + list(CRITICAL_EVIDENCE_TYPES))
    with_none = scorecard(thesis, findings, ["technology"] * 30)
    assert with_all.criteria[0].score == with_none.criteria[0].score
    assert with_all.coverage_confidence > with_none.coverage_confidence


def test_insufficiency_boundaries() -> None:
    enough_weight = Total(70, 50, 50, 65, True, "B")
    assert insufficiency(MINIMUM_EVIDENCE_ITEMS, enough_weight) is None
    assert "at least 20" in (insufficiency(MINIMUM_EVIDENCE_ITEMS - 1, enough_weight) or "")
    thin_weight = Total(70, 49, 51, 65, True, "B")
    assert "at least half" in (insufficiency(100, thin_weight) or "")


def test_insufficient_evidence_gives_no_total_and_no_decision() -> None:
    thesis = resolve_thesis("digital-transformation")
    card = scorecard(thesis, [_finding(20)], ["technology"] * 5)
    assert card.insufficient
    assert card.total.score is None and card.recommendation is None
    assert card.criteria[0].score == 70  # criterion scores stay visible


def test_bookkeeping_items_do_not_count_as_evidence() -> None:
    thesis = resolve_thesis("digital-transformation")
    findings = [_finding(5, criteria=(c.id,)) for c in thesis.criteria]
    card = scorecard(thesis, findings, ["technology"] * 19 + ["collector_run"] * 10)
    assert card.observed_items == 19 and card.insufficient
