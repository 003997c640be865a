"""The one view of a report every renderer reads: the typed report plus what display derives from it.

Markdown, HTML and PDF (`render.py` and its template) and the web report page (`web/templates/report.html`) all
take a `ReportView`; none of them reads the JSON directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from techscaniq.domain import Evidence
from techscaniq.report.model import (
    ConfidenceReason,
    DataRoomCondition,
    ExecutiveSummary,
    Header,
    Initiative,
    RecommendationSection,
    Report,
    RiskCondition,
    RuleReason,
    Total,
)

# The tests of the recommendation rule, as the recommendation box names them.
REASON_LABELS = {"total": "Total against the threshold", "risk": "Risk", "confidence": "Coverage confidence"}


@dataclass(frozen=True)
class Marker:
    """A citation marker: its number and the evidence ids it opens."""

    number: int | None
    evidence_ids: list[str]


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a label, a 0-100 value (None when not scored) and its annotations."""

    label: str
    value: int | None
    note: str = ""
    weight: int | None = None
    band: str = ""
    points: float | None = None
    markers: list[Marker] = field(default_factory=list)


def cite_numbers(node: Any) -> list[int]:
    """The citation numbers a statement carries (`cite`, then `cites`), for a model or its JSON."""
    if isinstance(node, Mapping):
        cite, cites = node.get("cite"), node.get("cites")
    else:
        cite, cites = getattr(node, "cite", None), getattr(node, "cites", None)
    return ([cite] if isinstance(cite, int) else []) + list(cites or [])


@dataclass(frozen=True)
class ReportView:
    """A report ready to render; `evidence` rows are filled only where the stored items are at hand (the web page)."""

    report: Report
    evidence: list[dict[str, Any]] = field(default_factory=list)

    # --- the parts every renderer shows ------------------------------------------------------------------

    @property
    def header(self) -> Header:
        """Company, scan, thesis, dates, writer."""
        return self.report.header

    @property
    def summary(self) -> ExecutiveSummary:
        """The executive summary."""
        return self.report.executive_summary

    @property
    def recommendation(self) -> RecommendationSection:
        """The decision with its reasons and conditions."""
        return self.report.executive_summary.recommendation

    @property
    def total(self) -> Total:
        """The weighted total against the threshold."""
        return self.report.scores.total

    @property
    def decision(self) -> str:
        """The decision as shown ("" when there is none)."""
        decision = self.recommendation.decision
        return str(decision) if decision else ""

    @property
    def writer_label(self) -> str:
        """'deterministic' or 'LLM (provider, model)', with a fallback stated."""
        writer = self.header.writer
        if writer.kind == "llm":
            return f"LLM ({writer.provider}, {writer.model})"
        if writer.fallback_from:
            return f"deterministic (fallback: the {writer.fallback_from} LLM writer failed: {writer.fallback_reason})"
        return "deterministic"

    @property
    def writer_name(self) -> str:
        """The writer in a few words: kind, provider, model."""
        writer = self.header.writer
        return " · ".join(dict.fromkeys(p for p in (writer.kind, writer.provider, writer.model) if p))

    @cached_property
    def titles(self) -> dict[str, str]:
        """Evidence titles by id, from the appendix."""
        return {item.id: item.title for item in self.report.evidence_appendix}

    @cached_property
    def citation_ids(self) -> dict[int, list[str]]:
        """The evidence ids behind each citation number."""
        return {ref.number: ref.evidence_ids for ref in self.report.references}

    def markers(self, node: Any) -> list[Marker]:
        """The citation markers of a statement, each with the evidence ids its number stands for."""
        numbers = list(dict.fromkeys(cite_numbers(node)))
        own = list(getattr(node, "evidence_ids", None) or [])
        if numbers:
            ids = self.citation_ids
            return [Marker(n, ids.get(n) or own) for n in numbers]
        return [Marker(None, own)] if own else []

    def reason_label(self, reason: RuleReason | ConfidenceReason) -> str:
        """What a reason tests, as the recommendation box names it."""
        return REASON_LABELS[reason.test]

    @staticmethod
    def is_data_room(condition: RiskCondition | DataRoomCondition) -> bool:
        """True for a condition to confirm in the data room (rather than a risk's mitigation)."""
        return isinstance(condition, DataRoomCondition)

    # --- charts and grouped lists ----------------------------------------------------------------------------

    @cached_property
    def criterion_bars(self) -> list[Bar]:
        """Criterion scores, weights, bands and the markers of the findings behind each."""
        return [
            Bar(
                label=c.name,
                value=c.score,
                note=f"({c.weight}%)",
                weight=c.weight,
                band=c.band or "not scored",
                points=c.points,
                markers=[m for f in c.findings for m in self.markers(f)],
            )
            for c in self.report.scores.criteria
        ]

    @cached_property
    def category_bars(self) -> list[Bar]:
        """The seven category scores with their grades."""
        return [Bar(label=c.name, value=c.score, note=c.grade or "") for c in self.report.scores.categories]

    @property
    def roadmap_in_use(self) -> list[tuple[str, list[Initiative]]]:
        """The roadmap's periods that hold an initiative, in time order."""
        return [(bucket, items) for bucket, items in self.report.roadmap.items() if items]

    @property
    def analyst_judgement(self) -> dict[str, Any] | None:
        """A published version's notice with each change beside the machine's original; None for the machine's."""
        judgement = self.report.analyst_judgement
        return None if judgement is None else judgement.model_dump(mode="json")

    @property
    def what_changed(self) -> dict[str, Any] | None:
        """What changed since the company's previous completed scan, when the report holds that section."""
        changed = self.report.what_changed
        return None if changed is None else changed.model_dump(mode="json")

    @property
    def cited_claims(self) -> int:
        """How many numbered claims the report makes."""
        return len(self.report.references)


def report_view(
    report: Report | Mapping[str, Any] | ReportView, evidence: Sequence[Evidence] = ()
) -> ReportView:
    """The view of a report (typed, or its stored JSON); with the scan's evidence items for the evidence table."""
    if isinstance(report, ReportView):
        return report
    model = report if isinstance(report, Report) else Report.model_validate(report)
    numbers_of: dict[str, list[int]] = {}
    for ref in model.references:
        for evidence_id in ref.evidence_ids:
            numbers_of.setdefault(evidence_id, []).append(ref.number)
    rows = [
        {
            **item.to_api(),
            "numbers": numbers_of.get(item.id, []),
            "source_is_link": item.source_url.startswith(("https://", "http://")),
        }
        for item in evidence
    ]
    rows.sort(key=lambda row: (min(row["numbers"] or [10**9]), row["category"], row["type"], row["title"]))
    return ReportView(report=model, evidence=rows)
