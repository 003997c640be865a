"""Scores from findings, all integers 0-100: categories, thesis criteria, weighted total, confidence, decision."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from techscaniq.domain import EvidenceType
from techscaniq.report.rules import DEFAULT_RISK_LEVELS, Finding, Impact, Level
from techscaniq.theses import (
    CATEGORIES,
    Category,
    Criterion,
    ResolvedThesis,
    confidence_label,
    grade,
    score_band,
)

# Every scored area starts at the neutral midpoint; each finding adds or subtracts its points.
BASE_SCORE = 50
MIN_SCORE = 0
MAX_SCORE = 100
MINIMUM_EVIDENCE_ITEMS = 20
MINIMUM_SCORED_WEIGHT_SHARE = 0.5
CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE = 10
MAX_CONFIDENCE_PENALTY = 50
MINIMUM_CONFIDENCE_TO_PROCEED = 60
DECLINE_MARGIN_POINTS = 10
# Evidence types whose absence lowers coverage confidence (never the score).
CRITICAL_EVIDENCE_TYPES: tuple[EvidenceType, ...] = (
    EvidenceType.PAGE,
    EvidenceType.TECHNOLOGY,
    EvidenceType.HOSTING,
    EvidenceType.OBSERVATORY_SCORE,
    EvidenceType.TLS_CERTIFICATE,
    EvidenceType.SPF,
    EvidenceType.DMARC,
)
# Bookkeeping items say how collection went; they are not observations of the company.
BOOKKEEPING_TYPES: frozenset[EvidenceType] = frozenset(
    {EvidenceType.COLLECTOR_RUN, EvidenceType.COLLECTOR_ERROR}
)


class Recommendation(StrEnum):
    """The three decisions of the recommendation rule."""

    PROCEED = "Proceed"
    PROCEED_WITH_CONDITIONS = "Proceed with conditions"
    DECLINE = "Decline"


@dataclass(frozen=True)
class CategoryScore:
    """One of the seven categories: its score and grade (None when no finding feeds it)."""

    category: Category
    score: int | None
    grade: str | None
    findings: tuple[Finding, ...]

    @property
    def name(self) -> str:
        """Display name."""
        return CATEGORIES[self.category]


@dataclass(frozen=True)
class CriterionScore:
    """One thesis criterion: score, band and weighted points, or not scored when no finding feeds it."""

    criterion: Criterion
    score: int | None
    band: str | None
    points: float | None
    findings: tuple[Finding, ...]

    @property
    def scored(self) -> bool:
        """True when at least one finding feeds the criterion."""
        return self.score is not None


@dataclass(frozen=True)
class Total:
    """The weighted total renormalised over scored criteria, with the weight left unscored."""

    score: int | None
    scored_weight: int
    unscored_weight: int
    threshold: int
    passed: bool | None
    grade: str | None


def clamp_score(value: float) -> int:
    """Round half up and clamp into 0-100."""
    return max(MIN_SCORE, min(MAX_SCORE, int(value + 0.5) if value >= 0 else -int(-value + 0.5)))


def score_findings(findings: Sequence[Finding]) -> int | None:
    """50 plus the signed points of the findings, clamped to 0-100; None without findings."""
    if not findings:
        return None
    return clamp_score(BASE_SCORE + sum(f.points for f in findings))


def findings_for_basis(basis: str, findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """The findings that score a basis: a category's findings, or those of rules naming the criterion."""
    if basis in CATEGORIES:
        return tuple(f for f in findings if Category(basis) in f.rule.categories)
    return tuple(f for f in findings if basis in f.rule.criteria)


def category_scores(findings: Sequence[Finding]) -> list[CategoryScore]:
    """The seven categories in report order."""
    out = []
    for category in CATEGORIES:
        fed = findings_for_basis(category, findings)
        score = score_findings(fed)
        out.append(CategoryScore(category, score, None if score is None else grade(score), fed))
    return out


def criterion_scores(thesis: ResolvedThesis, findings: Sequence[Finding]) -> list[CriterionScore]:
    """One score per thesis criterion, each scored through its basis (itself for stock criteria)."""
    out = []
    for criterion in thesis.criteria:
        fed = findings_for_basis(criterion.basis, findings)
        score = score_findings(fed)
        points = None if score is None else score * criterion.weight / 100
        out.append(
            CriterionScore(criterion, score, None if score is None else score_band(score), points, fed)
        )
    return out


def weighted_total(scores: Sequence[CriterionScore], threshold: int) -> Total:
    """total = 100 x sum of points / sum of weight of the scored criteria; unscored weight reported beside."""
    scored_weight = sum(s.criterion.weight for s in scores if s.scored)
    unscored_weight = sum(s.criterion.weight for s in scores if not s.scored)
    if scored_weight == 0:
        return Total(None, 0, unscored_weight, threshold, None, None)
    points = sum(s.points or 0.0 for s in scores)
    total = clamp_score(100 * points / scored_weight)
    return Total(total, scored_weight, unscored_weight, threshold, total >= threshold, grade(total))


def observed_item_count(types: Iterable[str]) -> int:
    """How many evidence items observe the company (bookkeeping items excluded)."""
    return sum(1 for t in types if t not in BOOKKEEPING_TYPES)


def missing_critical_types(types_present: Collection[str]) -> list[str]:
    """Critical evidence types the scan has no item of."""
    return [t for t in CRITICAL_EVIDENCE_TYPES if t not in types_present]


def coverage_confidence(total: Total, types_present: Collection[str]) -> int:
    """0-100: share of thesis weight scored, less 10 per missing critical evidence type (at most 50)."""
    weight = total.scored_weight + total.unscored_weight
    share = 100 * total.scored_weight / weight if weight else 0.0
    penalty = min(
        MAX_CONFIDENCE_PENALTY,
        CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE * len(missing_critical_types(types_present)),
    )
    return clamp_score(share - penalty)


def insufficiency(observed_items: int, total: Total) -> str | None:
    """Why the evidence is too thin to score, or None when it suffices."""
    weight = total.scored_weight + total.unscored_weight
    reasons = []
    if observed_items < MINIMUM_EVIDENCE_ITEMS:
        reasons.append(
            f"{observed_items} evidence items were collected; at least {MINIMUM_EVIDENCE_ITEMS} are needed"
        )
    if weight and total.scored_weight < MINIMUM_SCORED_WEIGHT_SHARE * weight:
        reasons.append(
            f"evidence covers {total.scored_weight} of {weight} thesis weight; at least half must be scored"
        )
    return "; ".join(reasons) or None


def risk_levels(finding: Finding) -> tuple[Level, Level]:
    """Likelihood and impact of the risk a negative finding raises (the rule's, else by severity)."""
    likelihood, impact = DEFAULT_RISK_LEVELS[finding.severity]
    remedy = finding.rule.remedy
    if remedy is not None:
        likelihood = remedy.likelihood or likelihood
        impact = remedy.impact or impact
    return likelihood, impact


def has_high_high_risk(findings: Iterable[Finding]) -> bool:
    """True when a negative finding is both High likelihood and High impact."""
    return any(f.impact is Impact.NEGATIVE and risk_levels(f) == (Level.HIGH, Level.HIGH) for f in findings)


def recommend(total: Total, *, high_high_risk: bool, confidence: int) -> Recommendation | None:
    """The recommendation rule of docs/scoring.md; None when there is no total."""
    if total.score is None:
        return None
    if total.score >= total.threshold:
        if not high_high_risk and confidence >= MINIMUM_CONFIDENCE_TO_PROCEED:
            return Recommendation.PROCEED
        return Recommendation.PROCEED_WITH_CONDITIONS
    if total.score >= total.threshold - DECLINE_MARGIN_POINTS:
        return Recommendation.PROCEED_WITH_CONDITIONS
    return Recommendation.DECLINE


def thesis_relevance(finding: Finding, thesis: ResolvedThesis) -> int:
    """Total thesis weight of the criteria a finding feeds (used to rank upsides and risks)."""
    return sum(
        c.weight
        for c in thesis.criteria
        if (c.basis in CATEGORIES and Category(c.basis) in finding.rule.categories)
        or c.basis in finding.rule.criteria
    )


@dataclass(frozen=True)
class Scorecard:
    """Everything scoring decides for one scan under one thesis."""

    categories: list[CategoryScore]
    criteria: list[CriterionScore]
    total: Total
    coverage_confidence: int
    confidence_label: str
    missing_critical_types: list[str]
    observed_items: int
    insufficient: str | None
    recommendation: Recommendation | None
    high_high_risk: bool


def scorecard(
    thesis: ResolvedThesis,
    findings: Sequence[Finding],
    evidence_types: Sequence[str],
    *,
    unseen_penalty: int = 0,
) -> Scorecard:
    """Score the findings under the thesis; with insufficient evidence there is no total and no decision.

    `unseen_penalty` is what coverage confidence loses for pages the site hid (report/coverage_facts.py).
    """
    criteria = criterion_scores(thesis, findings)
    total = weighted_total(criteria, thesis.threshold)
    present = set(evidence_types)
    confidence = clamp_score(coverage_confidence(total, present) - unseen_penalty)
    observed = observed_item_count(evidence_types)
    insufficient = insufficiency(observed, total)
    high_high = has_high_high_risk(findings)
    if insufficient:
        total = Total(None, total.scored_weight, total.unscored_weight, total.threshold, None, None)
    return Scorecard(
        categories=category_scores(findings),
        criteria=criteria,
        total=total,
        coverage_confidence=confidence,
        confidence_label=confidence_label(confidence),
        missing_critical_types=missing_critical_types(present),
        observed_items=observed,
        insufficient=insufficient,
        recommendation=recommend(total, high_high_risk=high_high, confidence=confidence),
        high_high_risk=high_high,
    )
