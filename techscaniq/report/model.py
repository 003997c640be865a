"""The typed, versioned report: every section and statement of the stored and served report JSON.

`Report.model_validate(content)` reads a stored report; `report.to_json()` (or `model_dump(mode="json")`) gives
back the exact JSON. The version changes only when a field is renamed or removed; an added field keeps it,
and is optional so that stored reports without it still load.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from techscaniq.report.rules import Impact, Level, Severity
from techscaniq.report.scoring import Recommendation

SCHEMA_VERSION: Final = "techscaniq.report/1"
Roi = Literal["High", "Medium", "Low"]


class Node(BaseModel):
    """A part of the report: unknown keys are refused, and keys that are absent in the JSON stay absent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    # Keys the JSON leaves out (rather than writing null) when they have no value.
    omit_when_none: ClassVar[frozenset[str]] = frozenset()
    # Keys added after reports were first stored: a stored report without them is served without them.
    omit_when_unset: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self.omit_when_none:
            if data.get(key) is None:
                data.pop(key, None)
        for key in self.omit_when_unset - self.model_fields_set:
            data.pop(key, None)
        return data


# --- statements: text with citation markers ---------------------------------------------------------------


class ReviewStamp(Node):
    """An analyst's review on a finding or criterion of a published version: who, when, the verdict and why."""

    omit_when_none = frozenset({"review_id", "reason", "by", "at"})

    review_id: str | None = None
    verdict: str
    reason: str | None = None
    by: str | None = None
    at: str | None = None


class Statement(Node):
    """A cited sentence: its text, its citation number and the evidence ids behind it."""

    text: str
    cite: int
    evidence_ids: list[str]


class FindingStatement(Statement):
    """A finding of a rule, cited by its evidence; `id` is stable for the same rule and evidence."""

    omit_when_none = frozenset({"id", "review", "disputed"})

    id: str | None = None
    rule: str
    rule_name: str
    impact: Impact
    severity: Severity
    points: int
    # A published version (analyst judgement): the review on this finding, and whether it no longer counts.
    review: ReviewStamp | None = None
    disputed: bool | None = None


class ProseStatement(Statement):
    """Prose from a writer (deterministic or LLM), cited like every other statement."""

    writer: str


class FactStatement(Statement):
    """An observed fact: one evidence item in words."""

    type: str


class TableRow(Statement):
    """A table row that is also a cited statement (its cells are what the table shows)."""

    cells: list[str]


class TopRisk(FindingStatement):
    """A top risk in the executive summary: the risk's finding with its register id and levels."""

    risk: str
    impact: Level  # type: ignore[assignment]  # here the risk's impact level replaces the finding's impact
    likelihood: Level


# --- header -------------------------------------------------------------------------------------------------


class ThesisRef(Node):
    """The thesis the scan was scored against, with its full snapshot."""

    slug: str
    name: str
    custom: bool
    threshold: int
    snapshot: dict[str, Any]


class Dates(Node):
    """When the scan was made and when its evidence was collected (ISO 8601)."""

    scan_created: str
    evidence_from: str | None
    evidence_to: str | None


class WriterInfo(Node):
    """Who wrote the prose: the deterministic writer, an LLM, or the deterministic fallback after an LLM failed."""

    omit_when_none = frozenset({"provider", "model", "fallback_from", "fallback_reason"})

    kind: Literal["deterministic", "llm"]
    provider: str | None = None
    model: str | None = None
    fallback_from: str | None = None
    fallback_reason: str | None = None


class Header(Node):
    """Company, scan, thesis, dates, evidence count, method version and writer."""

    company: str
    website_url: str
    scan_id: str
    thesis: ThesisRef
    dates: Dates
    evidence_count: int
    method_version: str
    writer: WriterInfo
    analyst_judgement: bool | None = None

    omit_when_none = frozenset({"analyst_judgement"})


class Screenshot(Statement):
    """The home-page screenshot heading the report (cited by its item), or why there is none."""

    omit_when_none = frozenset({"url", "taken_at", "width", "height"})

    taken: bool
    url: str | None = None
    taken_at: str | None = None
    width: int | None = None
    height: int | None = None


class Assessment(Node):
    """Whether the report is scored, in one statement."""

    status: Literal["scored", "insufficient evidence"]
    statement: str


# --- executive summary and recommendation ----------------------------------------------------------------


class RuleReason(Node):
    """A reason for the recommendation that rests on findings (cited by their numbers) or on their absence."""

    omit_when_none = frozenset({"cites"})

    test: Literal["total", "risk"]
    passed: bool
    text: str
    cites: list[int] | None = None


class ConfidenceReason(Statement):
    """The confidence test as a reason, cited by the evidence the coverage figure counts."""

    test: Literal["confidence"]
    passed: bool


class RiskCondition(Node):
    """A mitigation to agree before proceeding, cited by its risk's finding."""

    text: str
    risk: str
    cites: list[int]


class DataRoomCondition(Node):
    """Something to confirm in the data room before proceeding (rests on an absence, so cites nothing)."""

    text: str
    kind: Literal["data-room"]


class RecommendationSection(Node):
    """The decision, the rule that made it, and why, with the conditions of a conditional proceed."""

    omit_when_unset = frozenset({"because", "reasons"})
    omit_when_none = frozenset({"original_decision"})

    decision: Recommendation | None
    rule: str
    because: str | None = None
    reasons: list[RuleReason | ConfidenceReason] = Field(default_factory=list)
    high_high_risk: bool
    conditions: list[RiskCondition | DataRoomCondition]
    original_decision: Recommendation | None = None


class ExecutiveSummary(Node):
    """Fit statement, writer prose, top upsides and risks, the recommendation and the next steps."""

    fit: str
    narrative: list[ProseStatement]
    upsides: list[FindingStatement]
    risks: list[TopRisk]
    recommendation: RecommendationSection
    next_steps: list[str]


# --- scores and confidence ----------------------------------------------------------------------------------


class CriterionResult(Node):
    """A thesis criterion's score (None when no finding feeds it) with the findings and trace behind it."""

    id: str
    name: str
    weight: int
    basis: str
    status: Literal["scored", "not scored"]
    score: int | None
    band: str | None
    points: float | None
    trace: str
    findings: list[FindingStatement]
    original_score: int | None = None
    review: ReviewStamp | None = None

    omit_when_none = frozenset({"original_score", "review"})


class Total(Node):
    """The weighted total against the thesis threshold."""

    score: int | None
    grade: str | None
    threshold: int
    passed: bool | None
    scored_weight: int
    unscored_weight: int
    formula: str
    original_score: int | None = None
    original_grade: str | None = None

    omit_when_none = frozenset({"original_score", "original_grade"})


class CategoryResult(Node):
    """One of the seven category scores with its grade and the findings behind it."""

    id: str
    name: str
    score: int | None
    grade: str | None
    trace: str
    findings: list[FindingStatement]
    original_score: int | None = None

    omit_when_none = frozenset({"original_score"})


class Scores(Node):
    """Criteria, total and categories, with the method in words."""

    method: str
    criteria: list[CriterionResult]
    total: Total
    categories: list[CategoryResult]


class Confidence(Node):
    """How much of the thesis the evidence covers, and what critical evidence is missing."""

    coverage_confidence: int
    label: str
    scored_weight: int
    unscored_weight: int
    missing_critical_evidence: list[str]
    observed_items: int
    status: Literal["sufficient", "insufficient evidence"]
    insufficient_reason: str | None
    method: str


# --- findings by area and deep dive -------------------------------------------------------------------------


class StatementBlock(Node):
    """A titled list of cited facts."""

    title: str
    statements: list[FactStatement]


class TableBlock(Node):
    """A titled table whose rows are cited statements."""

    title: str
    columns: list[str]
    rows: list[TableRow]


class AreaSection(Node):
    """One area of the report: writer prose, the findings placed here, and blocks of facts and tables."""

    id: str
    title: str
    narrative: list[ProseStatement]
    findings: list[FindingStatement]
    blocks: list[TableBlock | StatementBlock]


class CriterionAction(Node):
    """A remedy for a gap of a criterion, cited by the finding it answers."""

    action: str
    cost_band: str
    timeline: str
    impact: str
    cites: list[int]


class DeepDive(Node):
    """One thesis criterion in depth: strengths, gaps and what to do about them."""

    criterion: str
    name: str
    weight: int
    score: int | None
    band: str | None
    findings: list[FindingStatement]
    strengths: list[FindingStatement]
    gaps: list[FindingStatement]
    unscored_gap: str | None
    recommendations: list[CriterionAction]


# --- risks, roadmap, gaps, coverage, appendix ---------------------------------------------------------------


class Risk(Node):
    """A row of the risk register: a negative finding with likelihood, impact and mitigation."""

    id: str
    title: str
    description: FindingStatement
    likelihood: Level
    impact: Level
    mitigation: str
    owner: str
    cost_band: str
    criteria: list[str]
    evidence_ids: list[str]
    disputed: bool | None = None

    omit_when_none = frozenset({"disputed"})


class Initiative(Node):
    """A value-creation initiative: a remedy with the criterion it serves and the findings it answers."""

    name: str
    expected_impact: str
    cost: str
    roi: Roi
    owner: str
    criterion: str | None
    category: str
    criterion_score: int | None
    weight: int
    focus: bool
    cites: list[int]
    evidence_ids: list[str]


class DataGap(Node):
    """A question for the data room."""

    topic: str
    question: str


class CoverageRow(Statement):
    """What one collector did, cited by its collector_run evidence; a site-coverage row adds what was seen."""

    omit_when_none = frozenset({"pages_answered", "pages_blocked", "vendors"})

    collector: str
    outcome: str
    items: int
    error: dict[str, Any] | None
    pages_answered: int | None = None
    pages_blocked: int | None = None
    vendors: list[str] | None = None


class AppendixItem(Node):
    """An evidence item as the appendix lists it."""

    id: str
    type: str
    category: str
    title: str
    source_url: str
    collected_at: str
    confidence: float


class Reference(Node):
    """A numbered claim and the evidence ids it rests on (one per citation number)."""

    number: int
    claim: str
    section: str
    evidence_ids: list[str]


class Metadata(Node):
    """Counts, the rules that fired, the cost bands, and the LLM run when an LLM writer was asked."""

    omit_when_none = frozenset({"llm"})

    finding_count: int
    rules_fired: list[str]
    cost_bands: list[str]
    llm: dict[str, Any] | None = None


# --- the analyst's workflow: a published version's judgement, and what changed since the previous scan -------


class AnalystJudgement(Node):
    """A published version's notice: what the analysts changed, each change beside the machine's original."""

    statement: str
    published_from_report_id: str | None = None
    published_from_version: int | None = None
    published_by: str | None = None
    published_at: str | None = None
    changes: list[dict[str, Any]]
    reviews: list[dict[str, Any]]


class WhatChanged(Node):
    """What changed since the company's previous completed scan; entries cite both scans' items under `evidence`."""

    scan_id: str
    against_scan_id: str
    against_completed_at: str | None
    technologies: dict[str, list[dict[str, Any]]]
    findings: dict[str, list[dict[str, Any]]]
    risks: dict[str, list[dict[str, Any]]]
    scores: dict[str, Any]
    security: dict[str, Any]
    coverage: dict[str, Any]
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The section as stored in the report JSON."""
        return self.model_dump(mode="json")


class Report(Node):
    """The whole report, in the order it is stored and rendered."""

    omit_when_none = frozenset({"analyst_judgement", "what_changed", "screenshot"})

    schema_version: Literal["techscaniq.report/1"] = Field(default=SCHEMA_VERSION, alias="schema")
    header: Header
    # Added later: optional, and left out when None, so stored reports without it serve unchanged.
    screenshot: Screenshot | None = None
    assessment: Assessment
    executive_summary: ExecutiveSummary
    scores: Scores
    confidence: Confidence
    findings_by_area: list[AreaSection]
    thesis_deep_dive: list[DeepDive]
    risk_register: list[Risk]
    roadmap: dict[str, list[Initiative]]
    data_gaps: list[DataGap]
    coverage: list[CoverageRow]
    evidence_appendix: list[AppendixItem]
    references: list[Reference]
    metadata: Metadata
    analyst_judgement: AnalystJudgement | None = None
    what_changed: WhatChanged | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored and served JSON."""
        return self.model_dump(mode="json")


def cited_nodes(node: Any) -> Iterator[Any]:
    """Every part of the report that carries citation markers (`cite` or `cites`), in document order."""
    if isinstance(node, BaseModel):
        if isinstance(getattr(node, "cite", None), int) or getattr(node, "cites", None) is not None:
            yield node
        for name in type(node).model_fields:
            if name != "references":
                yield from cited_nodes(getattr(node, name))
    elif isinstance(node, dict):
        for value in node.values():
            yield from cited_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from cited_nodes(value)
