"""The executive summary and the recommendation: why this decision for this company, and on what conditions."""

from __future__ import annotations

from collections.abc import Sequence

from techscaniq.report.model import (
    ConfidenceReason,
    DataRoomCondition,
    ExecutiveSummary,
    RecommendationSection,
    Risk,
    RiskCondition,
    RuleReason,
    TopRisk,
)
from techscaniq.report.rules import Finding, Impact, Level
from techscaniq.report.scoring import (
    CRITICAL_EVIDENCE_TYPES,
    DECLINE_MARGIN_POINTS,
    MINIMUM_CONFIDENCE_TO_PROCEED,
    Recommendation,
    Scorecard,
    thesis_relevance,
)
from techscaniq.report.sections.context import TOP_ITEMS, ReportContext

# How many findings lifting, and how many holding back, the total a recommendation reason names.
TOTAL_DRIVERS = 3
RECOMMENDATION_RULE = (
    "Proceed: total at or above the threshold, no High-likelihood and High-impact risk, and "
    "coverage confidence at least 60. Proceed with conditions: at or above the threshold but "
    "one of the other tests fails, or within 10 points below it. Decline: more than 10 points "
    "below the threshold. No decision with insufficient evidence."
)


def build_executive_summary(ctx: ReportContext, risks: Sequence[Risk]) -> ExecutiveSummary:
    """Fit, writer prose, top upsides and risks, the recommendation and the next steps."""
    card = ctx.card
    positives = sorted(
        (f for f in ctx.findings if f.impact is Impact.POSITIVE),
        key=lambda f: (-f.points * max(thesis_relevance(f, ctx.thesis), 1), f.rule.id),
    )
    top_risks = [
        TopRisk.model_validate(
            {**r.description.model_dump(), "risk": r.id, "likelihood": r.likelihood, "impact": r.impact}
        )
        for r in risks[:TOP_ITEMS]
    ]
    return ExecutiveSummary(
        fit=_fit(ctx),
        narrative=ctx.prose("executive_summary", ctx.narrative.summary),
        upsides=[ctx.finding(f) for f in positives[:TOP_ITEMS]],
        risks=top_risks,
        recommendation=RecommendationSection(
            decision=card.recommendation,
            rule=RECOMMENDATION_RULE,
            because=_because(card),
            reasons=_reasons(ctx, risks),
            high_high_risk=card.high_high_risk,
            conditions=_conditions(card, risks),
        ),
        next_steps=list(ctx.narrative.next_steps) or _next_steps(card, bool(risks)),
    )


def _fit(ctx: ReportContext) -> str:
    card = ctx.card
    total = card.total
    name = ctx.scan.company_name
    if card.insufficient:
        return (
            f"Insufficient evidence: {card.insufficient}. No total score and no recommendation are given "
            f"for {name} under the {ctx.thesis.name} thesis."
        )
    assert total.score is not None
    return (
        f"{name} scores {total.score}/100 (grade {total.grade}) against the {ctx.thesis.name} threshold "
        f"of {total.threshold}: {'pass' if total.passed else 'fail'}, over {total.scored_weight} of "
        f"{total.scored_weight + total.unscored_weight} thesis weight, with coverage confidence "
        f"{card.coverage_confidence} ({card.confidence_label})."
    )


def _reasons(ctx: ReportContext, risks: Sequence[Risk]) -> list[RuleReason | ConfidenceReason]:
    """One reason per test of the recommendation rule (total, risk, confidence); none without a total."""
    if ctx.card.recommendation is None:
        return []
    return [_total_reason(ctx), _risk_reason(risks), _confidence_reason(ctx)]


def _total_reason(ctx: ReportContext) -> RuleReason:
    total = ctx.card.total
    assert total.score is not None
    gap = total.score - total.threshold
    below = f"{-gap} point{'' if gap == -1 else 's'} below the threshold {total.threshold}"
    if gap >= 0:
        verdict = f"is at or above the threshold {total.threshold} (+{gap}): the total test passes"
    elif gap >= -DECLINE_MARGIN_POINTS:
        verdict = (
            f"is {below}, within the {DECLINE_MARGIN_POINTS}-point margin: at best Proceed with conditions"
        )
    else:
        verdict = f"is {below}, beyond the {DECLINE_MARGIN_POINTS}-point margin: Decline"
    moves = _total_moves(ctx.card)
    lifts = [move for move in moves if move[1] > 0][:TOTAL_DRIVERS]
    drags = [move for move in moves if move[1] < 0][:TOTAL_DRIVERS]
    drivers = (lifts + drags) or moves[:1]
    parts = []
    if lifts:
        parts.append("lifted most by " + _named_moves(lifts))
    if drags:
        parts.append("held back most by " + _named_moves(drags))
    if not parts:
        parts.append("no finding that feeds it carries points")
    return RuleReason(
        test="total",
        passed=gap >= 0,
        text=f"Weighted total {total.score} {verdict}; it is {'; '.join(parts)}.",
        cites=[ctx.finding(f).cite for findings, _ in drivers for f in findings],
    )


def _total_moves(card: Scorecard) -> list[tuple[list[Finding], float]]:
    """Each rule's findings with the total points they move together, largest first.

    A finding moves the total by its points x the weight of the scored criteria it feeds / the scored weight.
    """
    scored = [cs for cs in card.criteria if cs.scored]
    weight = sum(cs.criterion.weight for cs in scored)
    by_rule: dict[str, tuple[list[Finding], float]] = {}
    for cs in scored:
        for f in cs.findings:
            findings, points = by_rule.get(f.rule.id, ([], 0.0))
            if not any(g is f for g in findings):
                findings.append(f)
            by_rule[f.rule.id] = (findings, points + f.points * cs.criterion.weight / weight)
    return sorted(by_rule.values(), key=lambda move: (-abs(move[1]), move[0][0].rule.id))


def _named_moves(moves: Sequence[tuple[list[Finding], float]]) -> str:
    named = [
        f"{findings[0].rule.name} ({points:+.1f}{f', {len(findings)} findings' if len(findings) > 1 else ''})"
        for findings, points in moves
    ]
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]


def _risk_reason(risks: Sequence[Risk]) -> RuleReason:
    high_high = [r for r in risks if (r.likelihood, r.impact) == (Level.HIGH, Level.HIGH)]
    if high_high:
        named = ", ".join(f"{r.id} ({r.title})" for r in high_high[:TOP_ITEMS])
        return RuleReason(
            test="risk",
            passed=False,
            text=f"{named} {'is' if len(high_high) == 1 else 'are'} both High likelihood and High impact: "
            "the risk test fails.",
            cites=[r.description.cite for r in high_high[:TOP_ITEMS]],
        )
    if risks:
        top = risks[0]
        return RuleReason(
            test="risk",
            passed=True,
            text=f"No risk is both High likelihood and High impact; the highest is {top.id} "
            f"({top.title}, {top.likelihood} likelihood, {top.impact} impact): the risk test passes.",
            cites=[top.description.cite],
        )
    # Nothing negative was observed, so there is no evidence to cite for an empty register.
    return RuleReason(
        test="risk",
        passed=True,
        text="No negative finding, so the risk register is empty: the risk test passes.",
    )


def _confidence_reason(ctx: ReportContext) -> ConfidenceReason:
    card = ctx.card
    total = card.total
    present = [t for t in CRITICAL_EVIDENCE_TYPES if t in ctx.by_type]
    passed = card.coverage_confidence >= MINIMUM_CONFIDENCE_TO_PROCEED
    text = (
        f"Coverage confidence {card.coverage_confidence} ({card.confidence_label}) is "
        f"{'at least' if passed else 'below'} {MINIMUM_CONFIDENCE_TO_PROCEED}: {total.scored_weight} of "
        f"{total.scored_weight + total.unscored_weight} thesis weight is scored and {len(present)} of "
        f"{len(CRITICAL_EVIDENCE_TYPES)} critical evidence types were observed"
        + (f" ({', '.join(card.missing_critical_types)} missing)" if card.missing_critical_types else "")
        + f": the confidence test {'passes' if passed else 'fails'}."
    )
    # Cited by the first item of each critical type observed: what the coverage figure counts.
    cite, ids = ctx.book.cite("executive_summary", text, [ctx.by_type[t][0].id for t in present])
    return ConfidenceReason(text=text, cite=cite, evidence_ids=ids, test="confidence", passed=passed)


def _conditions(card: Scorecard, risks: Sequence[Risk]) -> list[RiskCondition | DataRoomCondition]:
    """The mitigations to agree and what to confirm in the data room, for Proceed with conditions only."""
    if card.recommendation is not Recommendation.PROCEED_WITH_CONDITIONS:
        return []
    conditions: list[RiskCondition | DataRoomCondition] = []
    for r in risks:
        if r.impact == Level.HIGH or r.likelihood == Level.HIGH or len(conditions) < TOP_ITEMS:
            conditions.append(
                RiskCondition(text=f"{r.title}: {r.mitigation}", risk=r.id, cites=[r.description.cite])
            )
    unscored = [cs.criterion.name for cs in card.criteria if not cs.scored]
    if unscored:
        conditions.append(
            DataRoomCondition(
                text="Confirm in the data room what the scan could not observe for: "
                + ", ".join(unscored)
                + ".",
                kind="data-room",
            )
        )
    if card.missing_critical_types:
        conditions.append(
            DataRoomCondition(
                text="Confirm in the data room the evidence the scan did not produce: "
                + ", ".join(card.missing_critical_types)
                + ".",
                kind="data-room",
            )
        )
    if card.coverage_confidence < MINIMUM_CONFIDENCE_TO_PROCEED:
        conditions.append(
            DataRoomCondition(
                text="Close the data gaps listed below in the data room before signing.", kind="data-room"
            )
        )
    return conditions


def _because(card: Scorecard) -> str | None:
    """The decision in one clause, from the tests of the recommendation rule (the reasons give the figures)."""
    total = card.total
    if card.recommendation is None or total.score is None:
        return None
    if card.recommendation is Recommendation.DECLINE:
        return f"the total is more than {DECLINE_MARGIN_POINTS} points below the threshold"
    if total.score < total.threshold:
        return f"the total is below the threshold but within {DECLINE_MARGIN_POINTS} points of it"
    failed = []
    if card.high_high_risk:
        failed.append("a risk is both High likelihood and High impact")
    if card.coverage_confidence < MINIMUM_CONFIDENCE_TO_PROCEED:
        failed.append(f"coverage confidence is below {MINIMUM_CONFIDENCE_TO_PROCEED}")
    if failed:
        return "the total passes the threshold, but " + " and ".join(failed)
    return (
        "the total passes the threshold, no risk is both High likelihood and High impact, and coverage confidence "
        f"is at least {MINIMUM_CONFIDENCE_TO_PROCEED}"
    )


def _next_steps(card: Scorecard, any_risk: bool) -> list[str]:
    steps = []
    if card.insufficient:
        steps.append(
            "Re-run the scan once the site is reachable, or gather the missing evidence in the data room."
        )
    if any_risk:
        steps.append("Price the mitigations in the risk register into the offer and the 100-day plan.")
    steps.append("Send the data-gap questions to the data room and schedule a technology management session.")
    if card.missing_critical_types:
        steps.append(
            "Confirm the missing critical evidence (" + ", ".join(card.missing_critical_types) + ")."
        )
    return steps
