"""Scores, confidence and the thesis deep dive: each number with the findings and trace behind it."""

from __future__ import annotations

from collections.abc import Sequence

from techscaniq.report.model import (
    CategoryResult,
    Confidence,
    CriterionAction,
    CriterionResult,
    DeepDive,
    Scores,
    Total,
)
from techscaniq.report.rules import Finding, Impact
from techscaniq.report.scoring import BASE_SCORE
from techscaniq.report.sections.context import ReportContext

SCORE_METHOD = (
    f"Each criterion and category starts at {BASE_SCORE}; every finding that feeds it adds or "
    "subtracts its points; the result is clamped to 0-100. A criterion no finding feeds is not scored."
)
TOTAL_FORMULA = "total = 100 x sum(points) / sum(weight of scored criteria); points = score x weight / 100"
CONFIDENCE_METHOD = (
    "Share of thesis weight with evidence, less 10 points per missing critical evidence type "
    "(at most 50). Missing evidence lowers confidence, never the score."
)
CONFIDENCE_METHOD_UNSEEN = (
    "Share of thesis weight with evidence, less 10 points per missing critical evidence type "
    "(at most 50), less up to 50 points for the share of requests answered with a bot-protection "
    "challenge. Missing evidence lowers confidence, never the score."
)


def build_scores(ctx: ReportContext) -> Scores:
    """Criteria, the weighted total and the seven categories."""
    card = ctx.card
    criteria = [
        CriterionResult(
            id=cs.criterion.id,
            name=cs.criterion.name,
            weight=cs.criterion.weight,
            basis=cs.criterion.basis,
            status="scored" if cs.scored else "not scored",
            score=cs.score,
            band=cs.band,
            points=None if cs.points is None else round(cs.points, 2),
            trace=trace(cs.findings),
            findings=[ctx.finding(f) for f in cs.findings],
        )
        for cs in card.criteria
    ]
    total = card.total
    categories = [
        CategoryResult(
            id=str(c.category),
            name=c.name,
            score=c.score,
            grade=c.grade,
            trace=trace(c.findings),
            findings=[ctx.finding(f) for f in c.findings],
        )
        for c in card.categories
    ]
    return Scores(
        method=SCORE_METHOD,
        criteria=criteria,
        total=Total(
            score=total.score,
            grade=total.grade,
            threshold=total.threshold,
            passed=total.passed,
            scored_weight=total.scored_weight,
            unscored_weight=total.unscored_weight,
            formula=TOTAL_FORMULA,
        ),
        categories=categories,
    )


def build_confidence(ctx: ReportContext) -> Confidence:
    """Coverage confidence, and why the report is or is not scored."""
    card = ctx.card
    return Confidence(
        coverage_confidence=card.coverage_confidence,
        label=card.confidence_label,
        scored_weight=card.total.scored_weight,
        unscored_weight=card.total.unscored_weight,
        missing_critical_evidence=list(card.missing_critical_types),
        observed_items=card.observed_items,
        status="insufficient evidence" if card.insufficient else "sufficient",
        insufficient_reason=card.insufficient,
        method=CONFIDENCE_METHOD if not ctx.unseen_penalty else CONFIDENCE_METHOD_UNSEEN,
    )


def build_deep_dive(ctx: ReportContext) -> list[DeepDive]:
    """Each thesis criterion: its findings largest first, split into strengths and gaps, and the remedies."""
    out = []
    for cs in ctx.card.criteria:
        findings = sorted(cs.findings, key=lambda f: (-abs(f.points), f.rule.id))
        recommendations = [
            CriterionAction(
                action=f.rule.remedy.action,
                cost_band=f.rule.remedy.cost_band,
                timeline=f.rule.remedy.timeline,
                impact=f.rule.remedy.expected_impact or f.rule.remedy.mitigation,
                cites=[ctx.finding(f).cite],
            )
            for f in findings
            if f.impact is Impact.NEGATIVE and f.rule.remedy is not None
        ]
        out.append(
            DeepDive(
                criterion=cs.criterion.id,
                name=cs.criterion.name,
                weight=cs.criterion.weight,
                score=cs.score,
                band=cs.band,
                findings=[ctx.finding(f) for f in findings],
                strengths=[ctx.finding(f) for f in findings if f.impact is Impact.POSITIVE],
                gaps=[ctx.finding(f) for f in findings if f.impact is Impact.NEGATIVE],
                unscored_gap=None
                if cs.scored
                else f"No outside-in evidence for {cs.criterion.name}; it is not scored and its weight "
                f"({cs.criterion.weight}) is left out of the total.",
                recommendations=recommendations,
            )
        )
    return out


def trace(findings: Sequence[Finding]) -> str:
    """The arithmetic of a score: base, each finding's points, the sum and any clamp."""
    if not findings:
        return "not scored: no finding feeds it"
    parts = " ".join(f"{'+' if f.points >= 0 else '-'} {abs(f.points)} ({f.rule.id})" for f in findings)
    raw = BASE_SCORE + sum(f.points for f in findings)
    return f"{BASE_SCORE} {parts} = {raw}" + (
        f", clamped to {max(0, min(100, raw))}" if not 0 <= raw <= 100 else ""
    )
