"""The one view of a report every renderer reads: the typed report plus what display derives from it.

Markdown, HTML and PDF (`render.py` and its template) and the web report page (`web/templates/report.html`) all
take a `ReportView`; none of them reads the JSON directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pydantic

from techscaniq.domain import Evidence
from techscaniq.errors import ReportUnreadable
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
    Screenshot,
    Total,
)
from techscaniq.report.screenshot import png_data_uri, screenshot_png, taken_time

# What the evidence table shows instead of a screenshot's base64 (the picture itself heads the report).
PNG_IN_TABLE = "(the PNG heads the report)"
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
    """A report ready to render; `evidence` rows are filled only where the stored items are at hand (the web page).

    `screenshot_png` is the cited screenshot's picture, already checked to be a PNG within the caps
    (report/screenshot.py); without it the head of the report says in one line that there is no picture.
    """

    report: Report
    evidence: list[dict[str, Any]] = field(default_factory=list)
    screenshot_png: bytes | None = None

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

    # --- the home-page screenshot at the head of the report -----------------------------------------------------

    @property
    def screenshot(self) -> Screenshot | None:
        """The report's screenshot statement: a picture taken, or why not; None in reports without one."""
        return self.report.screenshot

    @property
    def screenshot_evidence_id(self) -> str | None:
        """The id of the screenshot item the picture comes from (None when no picture was taken)."""
        shot = self.screenshot
        return shot.evidence_ids[0] if shot is not None and shot.taken and shot.evidence_ids else None

    @property
    def screenshot_shown(self) -> bool:
        """True when a picture was taken and its checked PNG is at hand."""
        return self.screenshot_evidence_id is not None and self.screenshot_png is not None

    @property
    def screenshot_src(self) -> str:
        """The picture as a data: URI for the self-contained HTML and the PDF (only when `screenshot_shown`)."""
        if self.screenshot_png is None:
            raise ValueError("no screenshot to show")
        return png_data_uri(self.screenshot_png)

    @property
    def screenshot_taken(self) -> str:
        """When the picture was taken, to the second in UTC."""
        shot = self.screenshot
        return taken_time(shot.taken_at if shot is not None else None)

    @property
    def screenshot_note(self) -> str:
        """The one line shown instead of a picture (empty when the picture is shown)."""
        shot = self.screenshot
        if self.screenshot_shown:
            return ""
        if shot is None:
            return "No screenshot of the home page is part of this report."
        if not shot.taken:
            return shot.text
        return f"The screenshot of the home page (evidence {self.screenshot_evidence_id}) could not be shown."

    @property
    def cited_claims(self) -> int:
        """How many numbered claims the report makes."""
        return len(self.report.references)


def _readable(content: Mapping[str, Any]) -> Report:
    try:
        return Report.model_validate(content)
    except pydantic.ValidationError as refused:
        first = refused.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise ReportUnreadable(
            f"this stored report does not match the report format this version reads ({where}: {first['msg']}); "
            "write it again from its evidence: POST /api/scans/<scan id>/retry with jobType 'report'"
        ) from refused


def report_view(
    report: Report | Mapping[str, Any] | ReportView,
    evidence: Sequence[Evidence] = (),
    screenshot: Evidence | None = None,
) -> ReportView:
    """The view of a report (typed, or its stored JSON); with the scan's evidence items for the evidence table
    and the screenshot item it cites (found among `evidence` when not given)."""
    if isinstance(report, ReportView):
        return report
    model = report if isinstance(report, Report) else _readable(report)
    png = _cited_png(model, screenshot, evidence)
    numbers_of: dict[str, list[int]] = {}
    for ref in model.references:
        for evidence_id in ref.evidence_ids:
            numbers_of.setdefault(evidence_id, []).append(ref.number)
    rows = [
        {
            **_without_png(item.to_api()),
            "numbers": numbers_of.get(item.id, []),
            "source_is_link": item.source_url.startswith(("https://", "http://")),
        }
        for item in evidence
    ]
    rows.sort(key=lambda row: (min(row["numbers"] or [10**9]), row["category"], row["type"], row["title"]))
    return ReportView(report=model, evidence=rows, screenshot_png=png)


def _cited_png(model: Report, given: Evidence | None, evidence: Sequence[Evidence]) -> bytes | None:
    """The checked PNG of the screenshot item the report cites, when that item is at hand."""
    shot = model.screenshot
    if shot is None or not shot.taken or not shot.evidence_ids:
        return None
    wanted = shot.evidence_ids[0]
    item = given if given is not None else next((e for e in evidence if e.id == wanted), None)
    if item is None or item.id != wanted or item.type != "screenshot":
        return None
    return screenshot_png(item.data)


def _without_png(row: dict[str, Any]) -> dict[str, Any]:
    """An evidence row without a screenshot's base64 (hundreds of kilobytes the page would carry twice)."""
    data = row.get("data")
    if isinstance(data, Mapping) and "png_base64" in data:
        row["data"] = {**data, "png_base64": PNG_IN_TABLE}
    return row
