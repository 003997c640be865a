"""Turn a stored report (whatever shape its JSON has grown into) into what the report page shows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from techscaniq import theses
from techscaniq.domain import Evidence, Report, Scan

ROADMAP_BUCKETS = ("0-6m", "6-18m", "18m+")
# Keys the page shows in their own panels; any other top-level key is shown generically under "More".
KNOWN_KEYS = frozenset(
    {
        "scan_id", "company", "website_url", "thesis", "writer", "method_version", "evidence_count",
        "assessment", "score", "grade", "sections", "evidence_appendix", "criteria", "categories",
        "category_scores", "criterion_scores", "scores", "recommendation", "executive_summary", "summary",
        "risk_register", "risks", "roadmap", "value_creation_roadmap", "data_gaps", "coverage_confidence",
        "confidence", "header", "generated_at", "created_at", "coverage", "llm", "metadata", "total",
        "threshold", "passed", "next_steps", "deep_dive", "thesis_deep_dive", "findings", "scored_weight",
        "unscored_weight", "collectors", "dropped_statements",
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
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportView:
    """Everything the report page renders, each part possibly empty."""

    title: str
    website_url: str
    thesis_name: str
    thesis_slug: str
    writer: str
    method_version: str
    version: int
    created_at: str
    score: int | None
    grade: str | None
    threshold: int | None
    passed: bool | None
    assessment: str
    recommendation: str
    recommendation_detail: Any
    conditions: list[Any]
    coverage_confidence: int | None
    summary: Any
    upsides: list[Any]
    downsides: list[Any]
    categories: list[Bar]
    criteria: list[Bar]
    sections: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    roadmap: list[tuple[str, list[dict[str, Any]]]]
    data_gaps: list[Any]
    extra: list[tuple[str, Any]]
    evidence: list[dict[str, Any]]
    citation_numbers: dict[str, list[int]]
    citation_targets: dict[int, str]


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


def _criterion_bars(value: Any, citation_numbers: Mapping[str, list[int]]) -> list[Bar]:
    bars = []
    for item in _list(value):
        if not isinstance(item, Mapping):
            continue
        score = _int(item.get("score"))
        band = item.get("band") or (theses.score_band(score) if score is not None and 0 <= score <= 100 else "")
        bars.append(
            Bar(
                label=str(item.get("name") or item.get("id") or "criterion"),
                value=score,
                note=f"{item['points']} pts" if isinstance(item.get("points"), int | float) else "",
                weight=_int(item.get("weight")),
                band=str(band or ("not scored" if score is None else "")),
                citations=cite_list(item, citation_numbers),
            )
        )
    return bars


def cite_list(node: Any, citation_numbers: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    """The citation markers of a statement-like node: its numbers, else the numbers of its evidence ids."""
    if not isinstance(node, Mapping):
        return []
    ids = [str(i) for i in _list(node.get("evidence_ids") or node.get("evidence")) if isinstance(i, str | int)]
    numbers = [n for n in _list(node.get("citations")) if isinstance(n, int) and not isinstance(n, bool)]
    if numbers:
        return [{"number": n, "evidence_id": ids[i] if i < len(ids) else None} for i, n in enumerate(numbers)]
    markers = []
    for evidence_id in ids:
        found = citation_numbers.get(evidence_id)
        markers.append({"number": found[0] if found else None, "evidence_id": evidence_id})
    return markers


def _roadmap(value: Any) -> list[tuple[str, list[dict[str, Any]]]]:
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if isinstance(value, Mapping) and not any(k in value for k in ("name", "initiative")):
        for bucket, items in value.items():
            buckets[str(bucket)].extend(i for i in _list(items) if isinstance(i, Mapping))
    else:
        for item in _list(value):
            if isinstance(item, Mapping):
                bucket = item.get("bucket") or item.get("horizon") or item.get("timeline") or "Unscheduled"
                buckets[str(bucket)].append(dict(item))
    ordered = [b for b in ROADMAP_BUCKETS if b in buckets] + [b for b in buckets if b not in ROADMAP_BUCKETS]
    return [(bucket, buckets[bucket]) for bucket in ordered]


def _sections(value: Any) -> list[dict[str, Any]]:
    sections = []
    for index, section in enumerate(_list(value)):
        if not isinstance(section, Mapping):
            continue
        body = {
            k: v
            for k, v in section.items()
            if k not in {"id", "title", "statements", "heading", "name", "score", "grade"}
        }
        sections.append(
            {
                "id": str(section.get("id") or f"section-{index + 1}"),
                "title": str(section.get("title") or section.get("heading") or section.get("name") or "Findings"),
                "statements": [s for s in _list(section.get("statements")) if s not in (None, "")],
                "body": body,
            }
        )
    return sections


def _evidence_rows(evidence: Sequence[Evidence], citation_numbers: Mapping[str, list[int]]) -> list[dict[str, Any]]:
    rows = []
    for item in sorted(evidence, key=lambda e: (min(citation_numbers.get(e.id, [10**9])), e.category, e.type)):
        rows.append(
            {
                **item.to_api(),
                "numbers": citation_numbers.get(item.id, []),
                "source_is_link": item.source_url.startswith(("https://", "http://")),
            }
        )
    return rows


def build_report_view(report: Report, scan: Scan, evidence: Sequence[Evidence]) -> ReportView:
    """Read the report JSON defensively: every panel is filled from whichever keys the JSON has."""
    content: Mapping[str, Any] = report.content if isinstance(report.content, Mapping) else {}
    citation_numbers: dict[str, list[int]] = defaultdict(list)
    citation_targets: dict[int, str] = {}
    for citation in report.citations:
        citation_numbers[citation.evidence_id].append(citation.number)
        citation_targets.setdefault(citation.number, citation.evidence_id)
    summary_node = _get(content, "executive_summary", "summary")
    summary_map = summary_node if isinstance(summary_node, Mapping) else {}
    recommendation_node = _get(content, "recommendation", "executive_summary.recommendation")
    score = report.score if report.score is not None else _int(_get(content, "score", "scores.total", "total"))
    threshold = _int(_get(content, "threshold", "scores.threshold", "thesis.threshold")) or _int(
        scan.thesis.get("threshold")
    )
    passed = _get(content, "passed", "scores.passed")
    if not isinstance(passed, bool):
        passed = score >= threshold if score is not None and threshold is not None else None
    coverage = _int(_get(content, "coverage_confidence", "confidence.coverage_confidence", "confidence"))
    thesis_node = content.get("thesis") if isinstance(content.get("thesis"), Mapping) else {}
    extra = [(key, value) for key, value in content.items() if key not in KNOWN_KEYS and value not in (None, "", [], {})]
    return ReportView(
        title=str(content.get("company") or scan.company_name),
        website_url=str(content.get("website_url") or scan.website_url),
        thesis_name=str(thesis_node.get("name") or scan.thesis.get("name") or scan.primary_criteria),
        thesis_slug=str(thesis_node.get("slug") or scan.primary_criteria),
        writer=_text(content.get("writer") or report.writer),
        method_version=_text(content.get("method_version")),
        version=report.version,
        created_at=report.created_at.isoformat(),
        score=score,
        grade=report.grade or _text(content.get("grade")) or None,
        threshold=threshold,
        passed=passed,
        assessment=_text(content.get("assessment")),
        recommendation=_text(recommendation_node),
        recommendation_detail=recommendation_node if isinstance(recommendation_node, Mapping) else None,
        conditions=_list(
            (recommendation_node.get("conditions") if isinstance(recommendation_node, Mapping) else None)
            or summary_map.get("conditions")
        ),
        coverage_confidence=coverage,
        summary=summary_map.get("text") or summary_map.get("summary") or summary_map.get("fit")
        if summary_map
        else summary_node,
        upsides=_list(summary_map.get("upsides") or summary_map.get("strengths")),
        downsides=_list(summary_map.get("risks") or summary_map.get("top_risks") or summary_map.get("downsides")),
        categories=_category_bars(_get(content, "categories", "category_scores", "scores.categories")),
        criteria=_criterion_bars(
            _get(content, "criteria", "criterion_scores", "scores.criteria"), citation_numbers
        ),
        sections=_sections(content.get("sections")),
        risks=[dict(r) for r in _list(_get(content, "risk_register", "risks")) if isinstance(r, Mapping)],
        roadmap=_roadmap(_get(content, "roadmap", "value_creation_roadmap")),
        data_gaps=_list(_get(content, "data_gaps", "next_steps")),
        extra=extra,
        evidence=_evidence_rows(evidence, citation_numbers),
        citation_numbers=dict(citation_numbers),
        citation_targets=citation_targets,
    )
