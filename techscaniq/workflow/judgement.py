"""The analyst's judgement applied to a report: disputed findings stop counting, score overrides apply, and every
change stands beside the machine's original with who made it, when and why."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from techscaniq.report.scoring import (
    CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE,
    MAX_CONFIDENCE_PENALTY,
    Total,
    clamp_score,
    recommend,
)
from techscaniq.storage.reviews import Review
from techscaniq.theses import grade, score_band

VERDICTS = ("confirmed", "disputed", "note")
BASE_SCORE = 50


@dataclass(frozen=True)
class Published:
    """The new version's content with its headline figures."""

    content: dict[str, Any]
    score: int | None
    grade: str | None
    changes: list[dict[str, Any]]


def finding_nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every finding statement in a report's content (a finding shows in several sections)."""
    if isinstance(node, dict):
        if "rule" in node and "text" in node and "id" in node:
            yield node
        for key, value in node.items():
            if key not in ("references", "analyst_judgement", "what_changed"):
                yield from finding_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from finding_nodes(value)


def finding_ids(content: dict[str, Any]) -> set[str]:
    """The ids a review can target as findings."""
    return {str(node["id"]) for node in finding_nodes(content)}


def criterion_ids(content: dict[str, Any]) -> set[str]:
    """The ids a review can target as criteria."""
    return {str(c.get("id")) for c in (content.get("scores") or {}).get("criteria") or ()}


def _stamp(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.id,
        "verdict": review.verdict,
        "reason": review.comment,
        "by": review.key_label,
        "at": review.created_at.isoformat(),
    }


def _rescore(findings: Sequence[dict[str, Any]], disputed: set[str]) -> int | None:
    kept = [f for f in findings if str(f.get("id")) not in disputed]
    if not kept:
        return None
    return clamp_score(BASE_SCORE + sum(float(f.get("points") or 0) for f in kept))


def publish(content: dict[str, Any], reviews: Sequence[Review], *, source: dict[str, Any]) -> Published:
    """A new version of `content` with `reviews` applied (the newest review of each target wins)."""
    latest: dict[tuple[str, str], Review] = {}
    for given in reviews:
        latest[(given.target_kind, given.target_id)] = given
    disputed = {t for (kind, t), r in latest.items() if kind == "finding" and r.verdict == "disputed"}
    out = copy.deepcopy(content)
    changes: list[dict[str, Any]] = []

    for node in finding_nodes(out):
        on_finding = latest.get(("finding", str(node["id"])))
        if on_finding is not None:
            node["review"] = _stamp(on_finding)
            if on_finding.verdict == "disputed":
                node["disputed"] = True
    for (kind, target), review in sorted(latest.items(), key=lambda pair: pair[0]):
        if kind == "finding":
            text = next((n["text"] for n in finding_nodes(out) if str(n["id"]) == target), target)
            changes.append(
                {
                    "kind": "finding",
                    "id": target,
                    "original": text,
                    "published": "no longer counts" if review.verdict == "disputed" else review.verdict,
                    **_stamp(review),
                }
            )

    scores = out.get("scores") or {}
    for entry in scores.get("criteria") or ():
        original = entry.get("score")
        new = _rescore(entry.get("findings") or (), disputed) if disputed else original
        on_criterion = latest.get(("criterion", str(entry.get("id"))))
        if on_criterion is not None:
            entry["review"] = _stamp(on_criterion)
            if on_criterion.score is not None:
                new = on_criterion.score
        if new != original:
            entry["original_score"] = original
            entry["score"] = new
            entry["band"] = None if new is None else score_band(new)
            weight = int(entry.get("weight") or 0)
            entry["points"] = None if new is None else round(new * weight / 100, 2)
            entry["status"] = "scored" if new is not None else "not scored"
            stamp = _stamp(on_criterion) if on_criterion else {"verdict": "disputed findings removed"}
            changes.append(
                {
                    "kind": "criterion",
                    "id": entry.get("id"),
                    "name": entry.get("name"),
                    "original": original,
                    "published": new,
                    **stamp,
                }
            )
    for entry in scores.get("categories") or ():
        original = entry.get("score")
        new = _rescore(entry.get("findings") or (), disputed) if disputed else original
        if new != original:
            entry["original_score"], entry["score"] = original, new
            entry["grade"] = None if new is None else grade(new)

    total = scores.get("total") or {}
    original_total = total.get("score")
    criteria = scores.get("criteria") or ()
    scored_weight = sum(int(c.get("weight") or 0) for c in criteria if c.get("score") is not None)
    unscored_weight = sum(int(c.get("weight") or 0) for c in criteria if c.get("score") is None)
    new_total = original_total
    if original_total is not None:
        points = sum(
            float(c["score"]) * int(c.get("weight") or 0) / 100
            for c in criteria
            if c.get("score") is not None
        )
        new_total = clamp_score(100 * points / scored_weight) if scored_weight else None
    threshold = int(total.get("threshold") or 0)
    if new_total != original_total:
        total.update(
            {
                "original_score": original_total,
                "original_grade": total.get("grade"),
                "score": new_total,
                "grade": None if new_total is None else grade(new_total),
                "passed": None if new_total is None else new_total >= threshold,
                "scored_weight": scored_weight,
                "unscored_weight": unscored_weight,
            }
        )
        changes.append(
            {
                "kind": "total",
                "id": "total",
                "original": original_total,
                "published": new_total,
                "verdict": "recomputed from the reviewed criteria",
            }
        )

    risks = out.get("risk_register") or ()
    for risk in risks:
        description = risk.get("description") or {}
        if description.get("disputed"):
            risk["disputed"] = True
    high_high = any(
        r.get("likelihood") == "High" and r.get("impact") == "High" and not r.get("disputed") for r in risks
    )
    confidence = out.get("confidence") or {}
    missing = len(confidence.get("missing_critical_evidence") or ())
    weight = scored_weight + unscored_weight
    share = 100 * scored_weight / weight if weight else 0.0
    coverage = clamp_score(
        share - min(MAX_CONFIDENCE_PENALTY, CONFIDENCE_POINTS_PER_MISSING_CRITICAL_TYPE * missing)
    )
    decision = recommend(
        Total(new_total, scored_weight, unscored_weight, threshold, None, None),
        high_high_risk=high_high,
        confidence=coverage,
    )
    recommendation = (out.get("executive_summary") or {}).get("recommendation")
    if isinstance(recommendation, dict) and recommendation.get("decision") != (decision and str(decision)):
        original_decision = recommendation.get("decision")
        recommendation["original_decision"] = original_decision
        recommendation["decision"] = None if decision is None else str(decision)
        changes.append(
            {
                "kind": "recommendation",
                "id": "recommendation",
                "original": original_decision,
                "published": recommendation["decision"],
                "verdict": "recomputed",
            }
        )

    disputes = sum(1 for c in changes if c["kind"] == "finding" and c["verdict"] == "disputed")
    overrides = sum(1 for r in latest.values() if r.target_kind == "criterion" and r.score is not None)
    out["analyst_judgement"] = {
        "statement": (
            f"This version contains analyst judgement: {disputes} finding(s) disputed, {overrides} criterion "
            f"score(s) overridden, {len(latest)} item(s) reviewed. Each change stands beside the machine's original."
        ),
        **source,
        "changes": changes,
        "reviews": [
            {"target_kind": r.target_kind, "target_id": r.target_id, "score": r.score, **_stamp(r)}
            for r in reviews
        ],
    }
    out.setdefault("header", {})["analyst_judgement"] = True
    return Published(out, new_total, None if new_total is None else grade(new_total), changes)
