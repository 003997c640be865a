"""Risk register, value-creation roadmap, data gaps, collector coverage and the evidence appendix."""

from __future__ import annotations

from collections.abc import Mapping

from techscaniq.domain import EvidenceType
from techscaniq.report.model import AppendixItem, CoverageRow, DataGap, Initiative, Risk, Roi
from techscaniq.report.rules import COST_BANDS, SEVERITY_RANK, TIMELINES, Finding, Impact, Level
from techscaniq.report.scoring import risk_levels, thesis_relevance
from techscaniq.report.sections.context import ReportContext

LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}
ROADMAP_FOCUS_BELOW = 70
STANDARD_DATA_ROOM_QUESTIONS: tuple[tuple[str, str], ...] = (
    (
        "Code quality",
        "What are the test coverage, static-analysis results and defect trends of the main repositories?",
    ),
    ("Cloud cost", "What is the monthly cloud bill by service, and the hosting cost per customer?"),
    ("Architecture", "Provide current architecture and data-flow diagrams, including tenancy and regions."),
    ("Incidents", "List production incidents and security incidents of the last 24 months with root causes."),
    ("Team", "Provide the engineering org chart, tenure, attrition and key-person dependencies."),
    ("Licences", "Provide the open-source licence inventory (SBOM) and third-party licence agreements."),
    (
        "Financial cross-check",
        "Reconcile ARR, R&D spend and headcount with the technology signals in this report.",
    ),
)


def build_risks(ctx: ReportContext) -> list[Risk]:
    """Every negative finding as a risk, the largest likelihood x impact first."""

    def rank(f: Finding) -> tuple[int, int, int, int, str]:
        likelihood, impact = risk_levels(f)
        return (
            -(LEVEL_RANK[likelihood] + 1) * (LEVEL_RANK[impact] + 1),
            -SEVERITY_RANK[f.severity],
            -thesis_relevance(f, ctx.thesis),
            f.points,
            f.rule.id,
        )

    negatives = sorted((f for f in ctx.findings if f.impact is Impact.NEGATIVE), key=rank)
    register = []
    for number, finding in enumerate(negatives, start=1):
        likelihood, impact = risk_levels(finding)
        remedy = finding.rule.remedy
        register.append(
            Risk(
                id=f"R-{number:02d}",
                title=finding.rule.name,
                description=ctx.finding(finding),
                likelihood=likelihood,
                impact=impact,
                mitigation=remedy.mitigation if remedy else "",
                owner=remedy.owner if remedy else "",
                cost_band=remedy.cost_band if remedy else "",
                criteria=[cs.criterion.id for cs in ctx.card.criteria if finding in cs.findings],
                evidence_ids=list(finding.evidence_ids),
            )
        )
    return register


def build_roadmap(ctx: ReportContext) -> dict[str, list[Initiative]]:
    """One initiative per remedy action, by timeline; the thesis's weakest, heaviest criteria first."""
    by_action: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        if f.impact is Impact.NEGATIVE and f.rule.remedy is not None:
            by_action.setdefault(f.rule.remedy.action, []).append(f)
    buckets: dict[str, list[Initiative]] = {t: [] for t in TIMELINES}
    for action, findings in by_action.items():
        remedy = findings[0].rule.remedy
        assert remedy is not None
        served = [cs for cs in ctx.card.criteria if any(f in cs.findings for f in findings)]
        recovered = -sum(f.points for f in findings)
        target = (
            min(served, key=lambda cs: (cs.score if cs.score is not None else 101, -cs.criterion.weight))
            if served
            else None
        )
        # An initiative outside the thesis criteria still serves a category; it ranks after the thesis ones.
        weight = target.criterion.weight if target else 0
        buckets[remedy.timeline].append(
            Initiative(
                name=action,
                expected_impact=remedy.expected_impact or remedy.mitigation,
                cost=remedy.cost_band,
                roi=_roi(recovered * weight / 100, remedy.cost_band),
                owner=remedy.owner,
                criterion=target.criterion.id if target else None,
                category=str(findings[0].rule.categories[0]),
                criterion_score=target.score if target else None,
                weight=weight,
                focus=target is not None and target.score is not None and target.score < ROADMAP_FOCUS_BELOW,
                cites=[ctx.finding(f).cite for f in findings],
                evidence_ids=list(dict.fromkeys(i for f in findings for i in f.evidence_ids)),
            )
        )
    for items in buckets.values():
        items.sort(key=lambda i: (not i.focus, -i.weight, i.name))
    return buckets


def _roi(total_points: float, cost_band: str) -> Roi:
    cheap = COST_BANDS.index(cost_band) <= 1
    if total_points >= 2 and cheap:
        return "High"
    if total_points >= 2 or cheap:
        return "Medium"
    return "Low"


def build_data_gaps(ctx: ReportContext) -> list[DataGap]:
    """Questions for the data room: unscored criteria, missing critical evidence, failed collectors, the standard set."""
    gaps = [
        DataGap(
            topic=cs.criterion.name,
            question=f"No public evidence on {cs.criterion.name}: provide material on "
            f"{cs.criterion.description or cs.criterion.name}.",
        )
        for cs in ctx.card.criteria
        if not cs.scored
    ]
    gaps += [
        DataGap(
            topic=f"Missing evidence: {type_}",
            question=f"The scan produced no '{type_}' evidence; confirm it in the data room or re-run the scan.",
        )
        for type_ in ctx.card.missing_critical_types
    ]
    for run in ctx.of_type(EvidenceType.COLLECTOR_RUN):
        outcome = str(run.data.get("outcome", ""))
        if outcome in {"failed", "skipped"}:
            name = str(run.data.get("collector") or run.dedup_key)
            gaps.append(
                DataGap(
                    topic=f"Collector {name} {outcome}",
                    question=f"The {name} collector {outcome}; what it would have observed must be "
                    "supplied in the data room.",
                )
            )
    if ctx.render_coverage is not None:
        gaps.insert(0, DataGap(topic="Not seen in a browser", question=ctx.render_coverage.sentence))
    for index, unseen in enumerate(ctx.unseen_checks):
        gaps.insert(
            index,
            DataGap(
                topic=f"{unseen.check} not seen (bot protection)",
                question=f"{unseen.sentence()} Ask the company for its production response headers and "
                "configuration, or for an allow-listed scan.",
            ),
        )
    if ctx.site_coverage is not None:
        gaps.insert(0, DataGap(**ctx.site_coverage.data_gap()))
    gaps += [DataGap(topic=topic, question=question) for topic, question in STANDARD_DATA_ROOM_QUESTIONS]
    return gaps


def _seen_rows(ctx: ReportContext) -> list[CoverageRow]:
    """How much of the site was seen: bot-protection challenges and pages not rendered (report/coverage_facts.py)."""
    rows = []
    coverage = ctx.site_coverage
    if coverage is not None:
        sentence = coverage.sentence()
        cite, ids = ctx.book.cite("coverage", sentence, coverage.evidence_ids)
        rows.append(
            CoverageRow(
                text=sentence,
                cite=cite,
                evidence_ids=ids,
                collector="site coverage",
                outcome="blocked" if coverage.seen == 0 else "partial",
                items=coverage.seen,
                error={"code": "bot_protection", "message": " ".join([sentence, *coverage.host_sentences()])},
                pages_answered=coverage.answered,
                pages_blocked=coverage.blocked,
                vendors=list(coverage.vendors),
            )
        )
    for unseen in ctx.unseen_checks:
        sentence = unseen.sentence()
        cite, ids = ctx.book.cite("coverage", sentence, [unseen.evidence_id])
        rows.append(
            CoverageRow(
                text=sentence,
                cite=cite,
                evidence_ids=ids,
                collector="site-level check",
                outcome="not_seen",
                items=0,
                error={"code": "bot_protection", "message": sentence},
            )
        )
    rendering = ctx.render_coverage
    if rendering is not None:
        cite, ids = ctx.book.cite("coverage", rendering.sentence, [rendering.evidence_id])
        rows.append(
            CoverageRow(
                text=rendering.sentence,
                cite=cite,
                evidence_ids=ids,
                collector="rendering",
                outcome=rendering.status,
                items=0,
                error={"code": f"render_{rendering.status}", "message": rendering.sentence},
            )
        )
    return rows


def build_coverage(ctx: ReportContext) -> list[CoverageRow]:
    """How much of the site was seen, then what each collector did, cited by its collector_run item."""
    rows = _seen_rows(ctx)
    for run in ctx.of_type(EvidenceType.COLLECTOR_RUN):
        data = run.data
        name = str(data.get("collector") or run.dedup_key)
        outcome = str(data.get("outcome", "unknown"))
        items = data.get("items", 0)
        error = data.get("error") if isinstance(data.get("error"), Mapping) else None
        text = f"Collector {name}: {outcome}, {items} items"
        if error:
            text += f", error {error.get('code')}: {error.get('message')}"
        cite, ids = ctx.book.cite("coverage", text + ".", [run.id])
        rows.append(
            CoverageRow(
                text=text + ".",
                cite=cite,
                evidence_ids=ids,
                collector=name,
                outcome=outcome,
                items=items,
                error=dict(error) if error else None,
            )
        )
    return rows


def build_appendix(ctx: ReportContext) -> list[AppendixItem]:
    """Every evidence item of the scan, in report order."""
    return [
        AppendixItem(
            id=item.id,
            type=item.type,
            category=item.category,
            title=item.title,
            source_url=item.source_url,
            collected_at=item.collected_at.isoformat(),
            confidence=item.confidence,
        )
        for item in ctx.evidence
    ]
