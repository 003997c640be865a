"""The method page (docs/scoring.md): how scores are made, and every findings rule in plain words.

Regenerate with `python -m techscaniq.report.method > docs/scoring.md`; a test keeps the file in sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from techscaniq.report.coverage_facts import MAX_BLOCKED_CONFIDENCE_PENALTY
from techscaniq.report.rules import Rule, area_titles, load_rules
from techscaniq.report.scoring import (
    BASE_SCORE,
    CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE,
    CRITICAL_EVIDENCE_TYPES,
    DECLINE_MARGIN_POINTS,
    MAX_CONFIDENCE_PENALTY,
    MINIMUM_CONFIDENCE_TO_PROCEED,
    MINIMUM_EVIDENCE_ITEMS,
)
from techscaniq.theses import CATEGORIES, THESES

_OPERATOR_WORDS = {
    "equals": "is {}",
    "not_equals": "is not {}",
    "at_least": "is at least {}",
    "at_most": "is at most {}",
    "above": "is above {}",
    "below": "is below {}",
    "in": "is one of {}",
    "not_in": "is present and not one of {}",
    "contains": "contains {}",
    "contains_any": "contains any of {}",
    "exists": "{}",
    "truthy": "{}",
    "matches": "matches the pattern `{}`",
    "count_at_least": "holds at least {} entries",
    "count_below": "holds fewer than {} entries",
    "older_than_days": "is a date more than {} days before the item was collected",
}


def _value(operator: str, expected: Any) -> str:
    if operator == "exists":
        return "is present" if expected else "is absent"
    if operator == "truthy":
        return "is set (true, non-empty)" if expected else "is false, empty or absent"
    if operator in {"count_at_least", "count_below", "older_than_days"}:
        return str(expected)
    if isinstance(expected, list | tuple):
        return ", ".join(f"`{v}`" for v in expected)
    return f"`{expected}`"


def _conditions(conditions: Mapping[str, Any]) -> list[str]:
    words = []
    for path, spec in conditions.items():
        tests = spec.items() if isinstance(spec, Mapping) else [("equals", spec)]
        for operator, expected in tests:
            text = _OPERATOR_WORDS[operator].format(_value(operator, expected))
            name = {"_key": "the item's key", "_title": "the item's title"}.get(path, f"`{path}`")
            words.append(f"{name} {text}")
    return words


def describe_condition(rule: Rule) -> str:
    """The rule's trigger in words."""
    types = " or ".join(f"`{t}`" for t in rule.evidence)
    parts = [f"an evidence item of type {types}"]
    conditions = _conditions(rule.when)
    if conditions:
        parts.append("whose data field " + " and ".join(conditions))
    if rule.when_any:
        alternatives = [" and ".join(_conditions(group)) for group in rule.when_any]
        parts.append("where " + " — or — ".join(alternatives))
    count = "at least one such item" if rule.min_items <= 1 else f"at least {rule.min_items} such items"
    per = (
        f"one finding per item (at most {rule.max_findings})"
        if rule.per_item
        else "one finding for all of them"
    )
    return f"Fires on {count}: " + ", ".join(parts) + f"; {per}."


def _rule_section(rule: Rule) -> list[str]:
    categories = ", ".join(CATEGORIES[c] for c in rule.categories)
    criteria = ", ".join(f"`{c}`" for c in rule.criteria) or "none"
    lines = [
        f"#### {rule.id} · {rule.name}",
        "",
        f"- **When:** {describe_condition(rule)}",
        f"- **Observation:** “{rule.observation}”",
        f"- **Impact:** {rule.impact}, severity {rule.severity}, **{rule.points:+d} points**",
        f"- **Feeds:** categories {categories}; criteria {criteria}",
    ]
    if rule.explanation:
        lines.append(f"- **Why:** {rule.explanation}")
    if rule.remedy:
        r = rule.remedy
        lines.append(
            f"- **Remedy:** {r.action} — {r.mitigation} Owner {r.owner}, cost band {r.cost_band}, "
            f"timeline {r.timeline}."
        )
    return [*lines, ""]


INTRO = f"""# Scoring method

This page is generated from the rule files in `techscaniq/report/rules/` (`python -m techscaniq.report.method >
docs/scoring.md`); the UI's method page shows the same text. Every number in a report traces back to evidence
through the findings listed here.

## From evidence to findings

A **rule** names one or more evidence types and a condition on their `data` fields. When evidence matches, the
rule produces a **finding**: an observation sentence (filled from the evidence), an impact (positive, negative or
neutral), a severity, signed **points**, the categories and thesis criteria it feeds, and the ids of the evidence
items behind it (the first 8 when many items match). Negative rules also carry a remedy: the mitigation, owner,
cost band and timeline used by the risk register and the roadmap. Absence of evidence never fires a rule: an
outside-in scan cannot prove a negative, so what it cannot see becomes a data-room question.

## From findings to scores

- **Category and criterion scores.** Each starts at {BASE_SCORE} (neutral) and every finding that feeds it adds
  or subtracts its points; the result is rounded half up and clamped to 0–100. The report prints the sum, e.g.
  `50 + 12 (DEV-01) - 8 (TEC-04) = 54`. A category or criterion that no finding feeds is **not scored**; it is
  never given a default.
- **Custom criteria** are scored through their `basis`: a stock criterion id uses that criterion's rules; a
  category id uses every rule feeding that category.
- **Criterion points** = score × weight ÷ 100. **Weighted total** = 100 × Σ points ÷ Σ weight of the scored
  criteria (rounded half up). The unscored weight is reported beside the total, so missing evidence never
  lowers the score.
- **Grades** (categories and total): A ≥ 85, B ≥ 70, C ≥ 55, D ≥ 40, else F. **Bands** (criteria):
  80–100 Excellent, 60–79 Good, 40–59 Fair, 20–39 Poor, 0–19 Critical.

## Coverage confidence (0–100)

The share of thesis weight that was scored, less {CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE} points for each
missing critical evidence type (at most {MAX_CONFIDENCE_PENALTY}), less up to {MAX_BLOCKED_CONFIDENCE_PENALTY} points in
proportion to the share of page requests the site answered with a bot-protection challenge or block page, less
the pages a browser rendered past it (`bot_protection` items; the coverage section and the data gaps then say how
many pages the findings rest on). A site-level check whose response was a challenge (the root's HTTP Observatory
grade, security.txt, CORS) is reported "not seen" in the coverage section and the data gaps and scores nothing.
Critical types:
{", ".join(f"`{t}`" for t in CRITICAL_EVIDENCE_TYPES)}. Labels: ≥ 90 Very High, ≥ 75 High, ≥ 60 Moderate,
≥ 40 Low, else Very Low. Missing evidence lowers confidence, never the score. An evidence item's own
`confidence` (0–1) is a different measure and is shown in the appendix.

## Insufficient evidence

Fewer than {MINIMUM_EVIDENCE_ITEMS} observed evidence items (collector bookkeeping items do not count), or less
than half of the thesis weight scored: the report says "insufficient evidence" plainly and gives no total, no
grade and no recommendation. Category and criterion scores that could be computed are still shown.

## Recommendation rule (deterministic)

- **Proceed:** the total is at or above the thesis threshold, no risk is both High likelihood and High impact,
  and coverage confidence is at least {MINIMUM_CONFIDENCE_TO_PROCEED}.
- **Proceed with conditions:** the total is at or above the threshold but one of the other two tests fails, or
  the total is within {DECLINE_MARGIN_POINTS} points below the threshold. The conditions are the mitigations of
  the risks and the data-room questions.
- **Decline:** the total is more than {DECLINE_MARGIN_POINTS} points below the threshold.

The report's recommendation box gives the reasons for this company, one per test, each citing its evidence: the
total against the threshold with the findings that lift and hold back the total most (a finding moves the total by
its points × the weight of the scored criteria it feeds ÷ the scored weight), the highest risk or the High/High
risks, and coverage confidence with the critical evidence types observed. The conditions are the mitigations of
every High-likelihood or High-impact risk (at least the top three risks), then what to confirm in the data room:
criteria without evidence and critical evidence the scan did not produce.

## Risks and roadmap

Every negative finding becomes a risk (`R-01`, `R-02`, … ordered by likelihood × impact, then severity and
thesis relevance). Likelihood and impact come from the rule, else from severity: low → Low/Low, medium →
Medium/Medium, high → Medium/High, critical → High/High. Remedies with the same action form one roadmap
initiative in the rule's timeline bucket (`0-6m`, `6-18m`, `18m+`); it serves the lowest-scoring thesis
criterion it feeds, and initiatives serving criteria under 70 come first. ROI is High when the initiative
recovers at least 2 total points at a cost band under $100k, Medium when only one of the two holds, else Low.

## Citations

Every factual statement carries a numbered marker. Each number is one claim; it is stored as one citation row
per evidence item behind the claim (report, number, claim, section, evidence id), and every id belongs to the
same scan. Markers and rows are checked both ways before a report is stored and in every rendered form.
"""


def scoring_markdown() -> str:
    """The whole method page: the fixed method text, the criteria coverage and every rule in plain words."""
    rules = load_rules()
    lines = [INTRO, "## Which rules feed each thesis criterion", ""]
    for thesis in THESES.values():
        lines += [f"### {thesis.name} (`{thesis.slug}`, threshold {thesis.threshold})", ""]
        lines += ["| criterion | weight | rules |", "|---|---|---|"]
        for c in thesis.criteria:
            ids = ", ".join(r.id for r in rules if c.id in r.criteria)
            lines.append(f"| `{c.id}` {c.name} | {c.weight} | {ids} |")
        lines.append("")
    lines += ["## Which rules feed each category", "", "| category | rules |", "|---|---|"]
    for category, name in CATEGORIES.items():
        lines.append(
            f"| {name} (`{category}`) | {', '.join(r.id for r in rules if category in r.categories)} |"
        )
    lines += ["", "## The rules", ""]
    for area, title in area_titles().items():
        lines += [f"### {title} (`{area}`)", ""]
        for rule in rules:
            if rule.area == area:
                lines += _rule_section(rule)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(scoring_markdown(), end="")
