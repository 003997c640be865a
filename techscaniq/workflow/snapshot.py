"""What one completed scan says, with everything that varies between identical runs taken out.

Ids, timestamps, crawl order and DNS answer order never reach a snapshot: technologies, findings, risks and
headers are keyed by what they are (name, rule, title, host and header), and each keeps only the evidence ids
that let a diff or a comparison cite its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from techscaniq.domain import Evidence, Report, Scan

# The evidence types a snapshot reads.
SNAPSHOT_TYPES = ("technology", "security_header", "observatory_score")
# Per-response values inside header values (CSP nonces) are not a change of policy.
NONCE = re.compile(r"'nonce-[^']*'")


@dataclass(frozen=True)
class Technology:
    """A detected technology (one evidence item per technology and scan)."""

    name: str
    version: str | None
    categories: tuple[str, ...]
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True)
class Cited:
    """A finding or a risk: its key, what the report shows of it, and the evidence it rests on."""

    key: str
    body: dict[str, Any]
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True)
class Header:
    """A security header on one host: present, missing or invalid, and its value."""

    host: str
    header: str
    presence: str
    value: str | None
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True)
class Criterion:
    """A thesis criterion's score; `basis` says what it means across theses."""

    id: str
    name: str
    basis: str
    weight: int
    score: int | None
    evidence_ids: tuple[str, ...]


@dataclass
class Snapshot:
    """The comparable content of one completed scan and its newest report."""

    scan_id: str
    company: str
    website_url: str
    thesis_slug: str
    thesis_name: str
    completed_at: datetime | None
    report_id: str | None
    total: int | None
    grade: str | None
    recommendation: str | None
    coverage: float | None
    security_grade: str | None
    security_evidence_ids: tuple[str, ...]
    technologies: dict[str, Technology] = field(default_factory=dict)
    findings: dict[str, Cited] = field(default_factory=dict)
    risks: dict[str, Cited] = field(default_factory=dict)
    headers: dict[tuple[str, str], Header] = field(default_factory=dict)
    criteria: list[Criterion] = field(default_factory=list)
    categories: dict[str, dict[str, Any]] = field(default_factory=dict)


def _ids(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v}))


def _technologies(evidence: Sequence[Evidence]) -> dict[str, Technology]:
    found: dict[str, Technology] = {}
    for item in evidence:
        if item.type != "technology":
            continue
        name = str(item.data.get("name") or item.title)
        key = name.casefold()
        version = item.data.get("version")
        earlier = found.get(key)
        ids = _ids([item.id, *(earlier.evidence_ids if earlier else ())])
        categories = tuple(str(c) for c in item.data.get("categories") or ())
        found[key] = Technology(
            name=name,
            version=str(version) if version else (earlier.version if earlier else None),
            categories=categories or (earlier.categories if earlier else ()),
            evidence_ids=ids,
        )
    return found


def _headers(evidence: Sequence[Evidence]) -> dict[tuple[str, str], Header]:
    found: dict[tuple[str, str], Header] = {}
    for item in evidence:
        if item.type != "security_header" or item.data.get("deprecated"):
            continue
        host = str(item.data.get("host") or "").lower()
        header = str(item.data.get("header") or item.title)
        value = item.data.get("value")
        normal = NONCE.sub("'nonce'", str(value)).strip() if value else None
        found[(host, header.lower())] = Header(
            host, header, str(item.data.get("presence") or "unknown"), normal, (item.id,)
        )
    return found


def _security_grade(scan: Scan, evidence: Sequence[Evidence]) -> tuple[str | None, tuple[str, ...]]:
    graded = sorted(
        (item for item in evidence if item.type == "observatory_score" and item.data.get("grade")),
        key=lambda item: (not bool(item.data.get("response_https")), str(item.data.get("url") or "")),
    )
    if not graded:
        return None, ()
    return str(graded[0].data["grade"]), (graded[0].id,)


def _finding_refs(content: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for area in content.get("findings_by_area") or ():
        yield from area.get("findings") or ()


def _findings(content: Mapping[str, Any]) -> dict[str, Cited]:
    found: dict[str, Cited] = {}
    for ref in _finding_refs(content):
        if ref.get("disputed"):
            continue
        key = str(ref.get("id") or ref.get("rule") or ref.get("text"))
        earlier = found.get(key)
        body = {
            "id": ref.get("id", key),
            "rule": ref.get("rule"),
            "name": ref.get("rule_name"),
            "text": ref.get("text"),
            "severity": ref.get("severity"),
            "impact": ref.get("impact"),
        }
        ids = _ids([*(ref.get("evidence_ids") or ()), *(earlier.evidence_ids if earlier else ())])
        found[key] = Cited(key, earlier.body if earlier else body, ids)
    return found


def _risks(content: Mapping[str, Any]) -> dict[str, Cited]:
    found: dict[str, Cited] = {}
    for risk in content.get("risk_register") or ():
        description = risk.get("description") or {}
        if isinstance(description, Mapping) and description.get("disputed"):
            continue
        key = str((description.get("id") if isinstance(description, Mapping) else None) or risk.get("title"))
        body = {
            "title": risk.get("title"),
            "text": description.get("text") if isinstance(description, Mapping) else None,
            "likelihood": risk.get("likelihood"),
            "impact": risk.get("impact"),
        }
        earlier = found.get(key)
        ids = _ids([*(risk.get("evidence_ids") or ()), *(earlier.evidence_ids if earlier else ())])
        found[key] = Cited(key, earlier.body if earlier else body, ids)
    return found


def _criteria(content: Mapping[str, Any]) -> list[Criterion]:
    out = []
    for entry in (content.get("scores") or {}).get("criteria") or ():
        ids = _ids(i for f in entry.get("findings") or () for i in f.get("evidence_ids") or ())
        out.append(
            Criterion(
                id=str(entry.get("id")),
                name=str(entry.get("name")),
                basis=str(entry.get("basis") or entry.get("id")),
                weight=int(entry.get("weight") or 0),
                score=entry.get("score"),
                evidence_ids=ids,
            )
        )
    return out


def snapshot(scan: Scan, evidence: Sequence[Evidence], report: Report | None) -> Snapshot:
    """The comparable content of a scan (its newest report's scores, findings and risks)."""
    content: Mapping[str, Any] = report.content if report else {}
    scores = content.get("scores") or {}
    total = scores.get("total") or {}
    recommendation = ((content.get("executive_summary") or {}).get("recommendation") or {}).get("decision")
    security_grade, security_ids = _security_grade(scan, evidence)
    return Snapshot(
        scan_id=scan.id,
        company=scan.company_name,
        website_url=scan.website_url,
        thesis_slug=scan.primary_criteria,
        thesis_name=str(scan.thesis.get("name") or scan.primary_criteria),
        completed_at=scan.finished_at,
        report_id=report.id if report else None,
        total=total.get("score", report.score if report else None),
        grade=total.get("grade", report.grade if report else None),
        recommendation=recommendation,
        coverage=(content.get("confidence") or {}).get("coverage_confidence"),
        security_grade=security_grade,
        security_evidence_ids=security_ids,
        technologies=_technologies(evidence),
        findings=_findings(content),
        risks=_risks(content),
        headers=_headers(evidence),
        criteria=_criteria(content),
        categories={
            str(c.get("id")): {"name": c.get("name"), "score": c.get("score"), "grade": c.get("grade")}
            for c in scores.get("categories") or ()
        },
    )
