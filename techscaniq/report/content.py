"""The canonical report: every section of the report (docs/theses.md §5) built from findings and scores, every fact cited.

`build_report` puts together the typed `model.Report` from the section builders in `sections/`; its JSON
(`BuiltReport.content`) is what is stored and served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from techscaniq.domain import Citation, Evidence, Scan
from techscaniq.report.citations import CitationBook, walk_statements
from techscaniq.report.coverage_facts import site_coverage
from techscaniq.report.model import (
    SCHEMA_VERSION,
    Assessment,
    Dates,
    Header,
    Metadata,
    Report,
    ThesisRef,
    WriterInfo,
)
from techscaniq.report.rules import COST_BANDS, Finding, Rule, apply_rules, load_rules
from techscaniq.report.scoring import Scorecard, scorecard
from techscaniq.report.sections.areas import AREAS, build_areas
from techscaniq.report.sections.context import Narrative, NarrativeStatement, ReportContext, order_evidence
from techscaniq.report.sections.register import (
    build_appendix,
    build_coverage,
    build_data_gaps,
    build_risks,
    build_roadmap,
)
from techscaniq.report.sections.scores import build_confidence, build_deep_dive, build_scores
from techscaniq.report.sections.screenshot import build_screenshot
from techscaniq.report.sections.summary import build_executive_summary
from techscaniq.theses import CATEGORIES, Category, ResolvedThesis, get_thesis

__all__ = [
    "AREAS",
    "METHOD_VERSION",
    "SCHEMA",
    "BuiltReport",
    "CitationBook",
    "Narrative",
    "NarrativeStatement",
    "analyse",
    "build_report",
    "category_name",
    "resolved_thesis",
    "walk_statements",
]

SCHEMA = SCHEMA_VERSION
METHOD_VERSION = "1.0"


@dataclass(frozen=True)
class BuiltReport:
    """The typed report and its citation rows (one row per cited evidence id of each numbered claim)."""

    report: Report
    citations: list[Citation]
    score: int | None
    grade: str | None

    @property
    def content(self) -> dict[str, Any]:
        """The canonical JSON, as stored and served."""
        return self.report.to_json()


def resolved_thesis(scan: Scan) -> ResolvedThesis:
    """The thesis snapshot stored on the scan, else the stock thesis named by its slug."""
    if scan.thesis and "criteria" in scan.thesis:
        return ResolvedThesis.from_dict(scan.thesis)
    stock = get_thesis(scan.primary_criteria)
    return ResolvedThesis(
        slug=stock.slug,
        name=stock.name,
        description=stock.description,
        threshold=stock.threshold,
        criteria=stock.criteria,
        focus_areas=stock.focus_areas,
        custom=False,
        dd_focus=stock.dd_focus,
        time_horizon=stock.time_horizon,
        target_multiple=stock.target_multiple,
    )


def _header(ctx: ReportContext) -> Header:
    scan, thesis = ctx.scan, ctx.thesis
    collected = [item.collected_at for item in ctx.evidence]
    return Header(
        company=scan.company_name,
        website_url=scan.website_url,
        scan_id=scan.id,
        thesis=ThesisRef(
            slug=thesis.slug,
            name=thesis.name,
            custom=thesis.custom,
            threshold=thesis.threshold,
            snapshot=thesis.to_dict(),
        ),
        dates=Dates(
            scan_created=scan.created_at.isoformat(),
            evidence_from=min(collected).isoformat() if collected else None,
            evidence_to=max(collected).isoformat() if collected else None,
        ),
        evidence_count=len(ctx.evidence),
        method_version=METHOD_VERSION,
        writer=ctx.writer,
    )


def _assemble(ctx: ReportContext) -> Report:
    risks = build_risks(ctx)
    summary = build_executive_summary(ctx, risks)
    return Report(
        header=_header(ctx),
        screenshot=build_screenshot(ctx),
        assessment=Assessment(
            status="insufficient evidence" if ctx.card.insufficient else "scored", statement=summary.fit
        ),
        executive_summary=summary,
        scores=build_scores(ctx),
        confidence=build_confidence(ctx),
        findings_by_area=build_areas(ctx),
        thesis_deep_dive=build_deep_dive(ctx),
        risk_register=risks,
        roadmap=build_roadmap(ctx),
        data_gaps=build_data_gaps(ctx),
        coverage=build_coverage(ctx),
        evidence_appendix=build_appendix(ctx),
        references=[],
        metadata=Metadata(
            finding_count=len(ctx.findings),
            rules_fired=sorted({f.rule.id for f in ctx.findings}),
            cost_bands=list(COST_BANDS),
        ),
    )


def build_report(
    scan: Scan,
    evidence: Sequence[Evidence],
    *,
    writer: Mapping[str, Any] | None = None,
    narrative: Narrative | None = None,
    thesis: ResolvedThesis | None = None,
    rules: Sequence[Rule] | None = None,
) -> BuiltReport:
    """Build the typed report and its citation rows; the same inputs give the same output."""
    ctx = ReportContext(
        scan,
        evidence,
        thesis or resolved_thesis(scan),
        WriterInfo.model_validate(writer or {"kind": "deterministic"}),
        narrative or Narrative(),
        rules if rules is not None else load_rules(),
    )
    report = _assemble(ctx)
    citations = ctx.book.finish(report)
    total = ctx.card.total
    return BuiltReport(report=report, citations=citations, score=total.score, grade=total.grade)


def analyse(scan: Scan, evidence: Sequence[Evidence]) -> tuple[list[Finding], Scorecard]:
    """Findings and scorecard alone (what an LLM writer is shown)."""
    thesis = resolved_thesis(scan)
    findings = apply_rules(load_rules(), order_evidence(evidence))
    coverage = site_coverage(evidence)
    penalty = coverage.confidence_penalty if coverage else 0
    return findings, scorecard(thesis, findings, [item.type for item in evidence], unseen_penalty=penalty)


def category_name(category_id: str) -> str:
    """Display name of a category id."""
    return CATEGORIES[Category(category_id)]
