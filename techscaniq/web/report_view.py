"""Turn a stored report (whatever shape its JSON has grown into) into what the report page shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from techscaniq import theses
from techscaniq.domain import Evidence, Report, Scan

ROADMAP_BUCKETS = ("0-6m", "6-18m", "18m+")
# The tests of the recommendation rule, as the recommendation box names them.
REASON_LABELS = {"total": "Total against the threshold", "risk": "Risk", "confidence": "Coverage confidence"}
# Top-level keys shown in their own panels (current and earlier report shapes); others go under their own name.
KNOWN_KEYS = frozenset(
    {
        "schema", "header", "scan_id", "company", "website_url", "thesis", "writer", "method_version",
        "evidence_count", "assessment", "score", "grade", "executive_summary", "summary", "recommendation",
        "scores", "criteria", "categories", "confidence", "coverage_confidence", "findings_by_area",
        "sections", "thesis_deep_dive", "risk_register", "risks", "roadmap", "data_gaps", "coverage",
        "evidence_appendix", "references", "metadata", "analyst_judgement", "what_changed",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a label, a 0-100 value (None when not scored) and its annotations."""

    label: str
    value: int | None
    note: str = ""
    weight: int | None = None
    band: str = ""
    points: float | None = None
    markers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportView:
    """Everything the report page renders; any part may be empty."""

    title: str
    website_url: str
    thesis_name: str
    writer: str
    method_version: str
    score: int | None
    grade: str | None
    threshold: int | None
    passed: bool | None
    scored_weight: int | None
    unscored_weight: int | None
    assessment_status: str
    assessment: str
    recommendation: str
    recommendation_rule: str
    because: str
    reasons: list[dict[str, Any]]
    conditions: list[Any]
    coverage_confidence: int | None
    confidence_label: str
    summary: list[Any]
    upsides: list[Any]
    downsides: list[Any]
    next_steps: list[Any]
    categories: list[Bar]
    criteria: list[Bar]
    sections: list[dict[str, Any]]
    deep_dive: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    roadmap: list[tuple[str, list[dict[str, Any]]]]
    data_gaps: list[Any]
    coverage: list[Any]
    references: list[dict[str, Any]]
    extra: list[tuple[str, Any]]
    evidence: list[dict[str, Any]]
    citation_ids: dict[int, list[str]]

    def markers(self, node: Any) -> list[dict[str, Any]]:
        """Citation markers of a statement-like node."""
        return cite_list(node, self.citation_ids)


def _get(content: Mapping[str, Any], *paths: str) -> Any:
    """The first present, non-empty value among dotted key paths."""
    for path in paths:
        node: Any = content
        for key in path.split("."):
            node = node.get(key) if isinstance(node, Mapping) else None
            if node is None:
                break
        if node not in (None, "", [], {}):
            return node
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return round(value)
    if isinstance(value, Mapping):
        return _int(value.get("score", value.get("value")))
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in ("decision", "label", "name", "title", "text", "value"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return str(value)


def _list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if value in (None, "", {}):
        return []
    return [value]


def _category_bars(value: Any) -> list[Bar]:
    names = {str(slug): name for slug, name in theses.CATEGORIES.items()}
    rows: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        rows = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                key = item.get("id") or item.get("category") or item.get("slug") or item.get("name") or "?"
                rows.append((str(key), item))
    bars = []
    for key, item in rows:
        score = _int(item)
        label = names.get(key) or (item.get("name") if isinstance(item, Mapping) else None) or key
        grade = item.get("grade") if isinstance(item, Mapping) else None
        if grade is None and score is not None and 0 <= score <= 100:
            grade = theses.grade(score)
        bars.append(Bar(label=str(label), value=score, note=str(grade or "")))
    return bars


def cite_list(node: Any, citation_ids: Mapping[int, list[str]]) -> list[dict[str, Any]]:
    """The citation markers of a statement-like node: each number with the evidence ids it stands for."""
    if not isinstance(node, Mapping):
        return []
    own_ids = [str(i) for i in _list(node.get("evidence_ids")) if isinstance(i, str | int)]
    numbers = [
        n
        for n in [node.get("cite"), *_list(node.get("cites")), *_list(node.get("citations"))]
        if _is_number(n)
    ]
    if numbers:
        return [{"number": n, "evidence_ids": citation_ids.get(n) or own_ids} for n in dict.fromkeys(numbers)]
    if own_ids:
        # Evidence named without a claim number: one marker that opens all of it.
        return [{"number": None, "evidence_ids": own_ids}]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _roadmap(value: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if isinstance(value, Mapping) and not any(k in value for k in ("name", "initiative")):
        for bucket, items in value.items():
            buckets[str(bucket)].extend(dict(i) for i in _list(items) if isinstance(i, Mapping))
    else:
        for item in _list(value):
            if isinstance(item, Mapping):
                bucket = item.get("bucket") or item.get("horizon") or item.get("timeline") or "Unscheduled"
                buckets[str(bucket)].append(dict(item))
    ordered = [b for b in ROADMAP_BUCKETS if b in buckets] + [b for b in buckets if b not in ROADMAP_BUCKETS]
    return [(bucket, buckets[bucket]) for bucket in ordered if buckets[bucket]]


def _criterion_bars(value: Any, citation_ids: Mapping[int, list[str]]) -> list[Bar]:
    bars = []
    for item in _list(value):
        if not isinstance(item, Mapping):
            continue
        score = _int(item.get("score"))
        band = item.get("band") or (
            theses.score_band(score) if score is not None and 0 <= score <= 100 else ""
        )
        points = item.get("points")
        markers = [m for f in _list(item.get("findings")) for m in cite_list(f, citation_ids)] or cite_list(
            item, citation_ids
        )
        bars.append(
            Bar(
                label=str(item.get("name") or item.get("id") or "criterion"),
                value=score,
                note=f"({item['weight']}%)" if _is_number(item.get("weight")) else "",
                weight=_int(item.get("weight")),
                band=str(band or "not scored"),
                points=float(points)
                if isinstance(points, int | float) and not isinstance(points, bool)
                else None,
                markers=markers,
            )
        )
    return bars


def _sections(value: Any) -> list[dict[str, Any]]:
    """Area sections: a title, then statements, findings, narrative and blocks (lists or tables)."""
    sections = []
    for index, section in enumerate(_list(value)):
        if not isinstance(section, Mapping):
            continue
        parts: list[tuple[str, Any]] = []
        for key in ("narrative", "statements", "findings"):
            items = [s for s in _list(section.get(key)) if s not in (None, "")]
            if items:
                parts.append((key, items))
        blocks = [b for b in _list(section.get("blocks")) if isinstance(b, Mapping)]
        rest = {
            k: v
            for k, v in section.items()
            if k not in {"id", "title", "heading", "name", "narrative", "statements", "findings", "blocks"}
            and v not in (None, "", [], {})
        }
        sections.append(
            {
                "id": str(section.get("id") or f"section-{index + 1}"),
                "title": str(
                    section.get("title") or section.get("heading") or section.get("name") or "Findings"
                ),
                "parts": parts,
                "blocks": blocks,
                "rest": rest,
            }
        )
    return sections


def _evidence_rows(evidence: Sequence[Evidence], numbers_of: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    rows = [
        {
            **item.to_api(),
            "numbers": numbers_of.get(item.id, []),
            "source_is_link": item.source_url.startswith(("https://", "http://")),
        }
        for item in evidence
    ]
    rows.sort(key=lambda row: (min(row["numbers"] or [10**9]), row["category"], row["type"], row["title"]))
    return rows


def _reasons(value: Any) -> list[dict[str, Any]]:
    """The recommendation's reasons, one per test of the rule, each with a label and a pass/fail verdict."""
    reasons = []
    for item in _list(value):
        if isinstance(item, Mapping) and isinstance(item.get("text"), str):
            test = str(item.get("test") or "")
            passed = item.get("passed")
            reasons.append(
                {
                    **item,
                    "label": REASON_LABELS.get(test, test.replace("_", " ").capitalize() or "Reason"),
                    "passed": passed if isinstance(passed, bool) else None,
                }
            )
        elif isinstance(item, str) and item:
            reasons.append({"text": item, "label": "Reason", "passed": None})
    return reasons


def _writer_text(value: Any) -> str:
    if isinstance(value, Mapping):
        parts = [str(value.get(k)) for k in ("kind", "provider", "model") if value.get(k)]
        return " · ".join(dict.fromkeys(parts)) or "unknown"
    return _text(value)


def build_report_view(report: Report, scan: Scan, evidence: Sequence[Evidence]) -> ReportView:
    """Read the report JSON defensively: every panel is filled from whichever keys the JSON has."""
    content: Mapping[str, Any] = report.content if isinstance(report.content, Mapping) else {}
    citation_ids: dict[int, list[str]] = defaultdict(list)
    numbers_of: dict[str, list[int]] = defaultdict(list)
    for citation in report.citations:
        citation_ids[citation.number].append(citation.evidence_id)
        if citation.number not in numbers_of[citation.evidence_id]:
            numbers_of[citation.evidence_id].append(citation.number)
    header = _mapping(content.get("header")) or content
    thesis_node = _mapping(header.get("thesis"))
    summary = _get(content, "executive_summary", "summary")
    summary_map: Mapping[str, Any] = summary if isinstance(summary, Mapping) else {}
    recommendation = summary_map.get("recommendation") or content.get("recommendation")
    recommendation_map: Mapping[str, Any] = recommendation if isinstance(recommendation, Mapping) else {}
    total = _get(content, "scores.total")
    total_map: Mapping[str, Any] = total if isinstance(total, Mapping) else {}
    score = report.score if report.score is not None else _int(total_map or content.get("score"))
    threshold = (
        _int(total_map.get("threshold"))
        if total_map.get("threshold") is not None
        else _int(thesis_node.get("threshold") or scan.thesis.get("threshold"))
    )
    passed = total_map.get("passed", content.get("passed"))
    if not isinstance(passed, bool):
        passed = score >= threshold if score is not None and threshold is not None else None
    assessment = content.get("assessment")
    assessment_map: Mapping[str, Any] = assessment if isinstance(assessment, Mapping) else {}
    confidence = content.get("confidence")
    confidence_map: Mapping[str, Any] = confidence if isinstance(confidence, Mapping) else {}
    summary_parts: list[Any] = []
    if summary_map:
        summary_parts = [summary_map[k] for k in ("fit", "text", "summary") if summary_map.get(k)]
        summary_parts += _list(summary_map.get("narrative"))
    elif summary:
        summary_parts = _list(summary)
    extra = [(k, v) for k, v in content.items() if k not in KNOWN_KEYS and v not in (None, "", [], {})]
    return ReportView(
        title=str(header.get("company") or scan.company_name),
        website_url=str(header.get("website_url") or scan.website_url),
        thesis_name=str(thesis_node.get("name") or scan.thesis.get("name") or scan.primary_criteria),
        writer=_writer_text(header.get("writer") or report.writer),
        method_version=_text(header.get("method_version")),
        score=score,
        grade=report.grade or _text(total_map.get("grade") or content.get("grade")) or None,
        threshold=threshold,
        passed=passed,
        scored_weight=_int(total_map.get("scored_weight")),
        unscored_weight=_int(total_map.get("unscored_weight")),
        assessment_status=_text(assessment_map.get("status") if assessment_map else assessment),
        assessment=_text(assessment_map.get("statement") if assessment_map else assessment),
        recommendation=_text(recommendation_map.get("decision") if recommendation_map else recommendation),
        recommendation_rule=_text(recommendation_map.get("rule")),
        because=_text(recommendation_map.get("because")).rstrip("."),
        reasons=_reasons(recommendation_map.get("reasons")),
        conditions=_list(recommendation_map.get("conditions")),
        coverage_confidence=_int(
            confidence_map.get("coverage_confidence") or content.get("coverage_confidence")
        ),
        confidence_label=_text(confidence_map.get("label")),
        summary=summary_parts,
        upsides=_list(summary_map.get("upsides")),
        downsides=_list(summary_map.get("risks")),
        next_steps=_list(summary_map.get("next_steps")),
        categories=_category_bars(_get(content, "scores.categories", "categories", "category_scores")),
        criteria=_criterion_bars(
            _get(content, "scores.criteria", "criteria", "criterion_scores"), citation_ids
        ),
        sections=_sections(_get(content, "findings_by_area", "sections")),
        deep_dive=[dict(d) for d in _list(content.get("thesis_deep_dive")) if isinstance(d, Mapping)],
        risks=[dict(r) for r in _list(_get(content, "risk_register", "risks")) if isinstance(r, Mapping)],
        roadmap=_roadmap(content.get("roadmap")),
        data_gaps=_list(content.get("data_gaps")),
        coverage=_list(content.get("coverage")),
        references=[dict(r) for r in _list(content.get("references")) if isinstance(r, Mapping)],
        extra=extra,
        evidence=_evidence_rows(evidence, numbers_of),
        citation_ids=dict(citation_ids),
    )
