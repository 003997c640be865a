"""What changed between two completed scans: technologies, findings, risks, scores, security and coverage."""

from __future__ import annotations

from typing import Any

from techscaniq.workflow.snapshot import Cited, Snapshot


def _cite(before: tuple[str, ...] = (), after: tuple[str, ...] = ()) -> dict[str, list[str]]:
    return {"from": list(before), "to": list(after)}


def _technologies(old: Snapshot, new: Snapshot) -> dict[str, list[dict[str, Any]]]:
    added, removed, changed = [], [], []
    for key in sorted(new.technologies.keys() - old.technologies.keys()):
        tech = new.technologies[key]
        added.append(
            {
                "name": tech.name,
                "version": tech.version,
                "categories": list(tech.categories),
                "evidence_ids": _cite(after=tech.evidence_ids),
            }
        )
    for key in sorted(old.technologies.keys() - new.technologies.keys()):
        tech = old.technologies[key]
        removed.append(
            {
                "name": tech.name,
                "version": tech.version,
                "categories": list(tech.categories),
                "evidence_ids": _cite(before=tech.evidence_ids),
            }
        )
    for key in sorted(old.technologies.keys() & new.technologies.keys()):
        before, after = old.technologies[key], new.technologies[key]
        if before.version != after.version:
            changed.append(
                {
                    "name": after.name,
                    "from": before.version,
                    "to": after.version,
                    "evidence_ids": _cite(before.evidence_ids, after.evidence_ids),
                }
            )
    return {"added": added, "removed": removed, "version_changed": changed}


def _cited(old: dict[str, Cited], new: dict[str, Cited]) -> dict[str, list[dict[str, Any]]]:
    return {
        "new": [
            {**new[k].body, "evidence_ids": _cite(after=new[k].evidence_ids)}
            for k in sorted(new.keys() - old.keys())
        ],
        "resolved": [
            {**old[k].body, "evidence_ids": _cite(before=old[k].evidence_ids)}
            for k in sorted(old.keys() - new.keys())
        ],
    }


def _scores(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    before = {c.id: c for c in old.criteria}
    criteria = []
    for after in new.criteria:
        earlier = before.get(after.id)
        if earlier is not None and earlier.score != after.score:
            criteria.append(
                {
                    "id": after.id,
                    "name": after.name,
                    "from": earlier.score,
                    "to": after.score,
                    "evidence_ids": _cite(earlier.evidence_ids, after.evidence_ids),
                }
            )
    return {"total": {"from": old.total, "to": new.total}, "criteria": criteria}


def _headers(old: Snapshot, new: Snapshot) -> list[dict[str, Any]]:
    changed = []
    for key in sorted(old.headers.keys() | new.headers.keys()):
        before, after = old.headers.get(key), new.headers.get(key)
        if before and after and (before.presence, before.value) == (after.presence, after.value):
            continue
        shown = after or before
        assert shown is not None
        changed.append(
            {
                "host": shown.host,
                "header": shown.header,
                "from": {"presence": before.presence, "value": before.value} if before else None,
                "to": {"presence": after.presence, "value": after.value} if after else None,
                "evidence_ids": _cite(
                    before.evidence_ids if before else (), after.evidence_ids if after else ()
                ),
            }
        )
    return changed


def diff(old: Snapshot, new: Snapshot) -> dict[str, Any]:
    """The differences from `old` to `new`; every entry cites the evidence ids on each side."""
    technologies = _technologies(old, new)
    findings = _cited(old.findings, new.findings)
    risks = _cited(old.risks, new.risks)
    scores = _scores(old, new)
    security = {
        "grade": {
            "from": old.security_grade,
            "to": new.security_grade,
            "evidence_ids": _cite(old.security_evidence_ids, new.security_evidence_ids),
        },
        "changed_headers": _headers(old, new),
    }
    coverage = {"from": old.coverage, "to": new.coverage}
    body: dict[str, Any] = {
        "scan_id": new.scan_id,
        "against_scan_id": old.scan_id,
        "against_completed_at": old.completed_at.isoformat() if old.completed_at else None,
        "technologies": technologies,
        "findings": findings,
        "risks": risks,
        "scores": scores,
        "security": security,
        "coverage": coverage,
    }
    body["summary"] = summary(body)
    return body


def summary(body: dict[str, Any]) -> dict[str, Any]:
    """Counts of a diff, and whether anything changed at all."""
    technologies, total = body["technologies"], body["scores"]["total"]
    change = None if total["from"] is None or total["to"] is None else total["to"] - total["from"]
    counts = {
        "technologies_added": len(technologies["added"]),
        "technologies_removed": len(technologies["removed"]),
        "technologies_version_changed": len(technologies["version_changed"]),
        "findings_new": len(body["findings"]["new"]),
        "findings_resolved": len(body["findings"]["resolved"]),
        "risks_new": len(body["risks"]["new"]),
        "risks_resolved": len(body["risks"]["resolved"]),
        "criteria_changed": len(body["scores"]["criteria"]),
        "headers_changed": len(body["security"]["changed_headers"]),
        "score_change": change,
    }
    grade, coverage = body["security"]["grade"], body["coverage"]
    counts["changed"] = bool(
        any(v for k, v in counts.items() if k != "score_change")
        or change
        or grade["from"] != grade["to"]
        or coverage["from"] != coverage["to"]
    )
    return counts
