"""What every section builder reads: the scan, its evidence by type, the findings, the scorecard and the citations."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from techscaniq.domain import Evidence, EvidenceType, Scan
from techscaniq.report.citations import CitationBook
from techscaniq.report.coverage_facts import render_coverage, site_coverage, unseen_checks
from techscaniq.report.model import FactStatement, FindingStatement, ProseStatement, WriterInfo
from techscaniq.report.rules import Finding, Rule, apply_rules
from techscaniq.report.scoring import Scorecard, scorecard
from techscaniq.theses import Category, ResolvedThesis

COMPANY_OVERVIEW = "company-overview"
FACTS_PER_TYPE = 10
TOP_ITEMS = 3


@dataclass(frozen=True)
class NarrativeStatement:
    """A sentence written by a writer (LLM) with the evidence ids it cites."""

    text: str
    evidence_ids: tuple[str, ...]


@dataclass(frozen=True)
class Narrative:
    """Prose a writer adds: summary paragraphs, per-area paragraphs and next steps (already validated)."""

    summary: tuple[NarrativeStatement, ...] = ()
    areas: Mapping[str, tuple[NarrativeStatement, ...]] = field(default_factory=dict)
    next_steps: tuple[str, ...] = ()


def order_evidence(items: Sequence[Evidence]) -> list[Evidence]:
    """Evidence in the report's order: by type, then dedup key, then id."""
    return sorted(items, key=lambda e: (e.type, e.dedup_key, e.id))


def primary_area(rule: Rule) -> str:
    """The area section a rule's findings are shown in."""
    if rule.area == "market" and Category.WEB_PRESENCE_PERFORMANCE in rule.categories:
        return COMPANY_OVERVIEW
    return str(rule.categories[0])


class ReportContext:
    """The inputs of one report and the statements made so far (one per finding, shared wherever it is shown)."""

    def __init__(
        self,
        scan: Scan,
        evidence: Sequence[Evidence],
        thesis: ResolvedThesis,
        writer: WriterInfo,
        narrative: Narrative,
        rules: Sequence[Rule],
    ) -> None:
        self.scan = scan
        self.evidence = order_evidence(evidence)
        self.by_type: dict[str, list[Evidence]] = {}
        for item in self.evidence:
            self.by_type.setdefault(item.type, []).append(item)
        self.by_id = {item.id: item for item in self.evidence}
        self.thesis = thesis
        self.writer = writer
        self.narrative = narrative
        self.book = CitationBook(set(self.by_id))
        self.findings = apply_rules(rules, self.evidence)
        self.site_coverage = site_coverage(self.evidence)
        self.render_coverage = render_coverage(self.evidence)
        self.unseen_checks = unseen_checks(self.evidence)
        self.unseen_penalty = self.site_coverage.confidence_penalty if self.site_coverage else 0
        self.card: Scorecard = scorecard(
            thesis,
            self.findings,
            [item.type for item in self.evidence],
            unseen_penalty=self.unseen_penalty,
        )
        self._statements: dict[int, FindingStatement] = {}

    def of_type(self, type_: EvidenceType) -> list[Evidence]:
        """The evidence items of one type, in report order."""
        return self.by_type.get(type_, [])

    def finding(self, finding: Finding) -> FindingStatement:
        """The finding's statement: one citation number per finding, the same wherever it is shown."""
        key = id(finding)
        if key not in self._statements:
            section = f"findings.{primary_area(finding.rule)}"
            cite, ids = self.book.cite(section, finding.observation, finding.evidence_ids)
            self._statements[key] = FindingStatement(
                text=finding.observation,
                cite=cite,
                evidence_ids=ids,
                id=self.finding_id(finding),
                rule=finding.rule.id,
                rule_name=finding.rule.name,
                impact=finding.impact,
                severity=finding.severity,
                points=finding.points,
            )
        return self._statements[key]

    def finding_id(self, finding: Finding) -> str:
        """The rule id; a rule that makes one finding per item adds a digest of the items' dedup keys."""
        if not finding.rule.per_item:
            return finding.rule.id
        keys = sorted(f"{self.by_id[i].type}:{self.by_id[i].dedup_key}" for i in finding.evidence_ids)
        return f"{finding.rule.id}:{hashlib.sha256(chr(10).join(keys).encode()).hexdigest()[:10]}"

    def facts(self, section: str, types: Sequence[EvidenceType]) -> list[FactStatement]:
        """Up to FACTS_PER_TYPE cited facts of each type, in order."""
        out = []
        for type_ in types:
            for item in self.of_type(type_)[:FACTS_PER_TYPE]:
                text = (item.summary or item.title).strip() or item.type
                cite, ids = self.book.cite(section, text, [item.id])
                out.append(FactStatement(text=text, cite=cite, evidence_ids=ids, type=item.type))
        return out

    def prose(self, section: str, statements: Sequence[NarrativeStatement]) -> list[ProseStatement]:
        """The writer's sentences for a section, each cited."""
        out = []
        for s in statements:
            cite, ids = self.book.cite(section, s.text, s.evidence_ids)
            out.append(ProseStatement(text=s.text, cite=cite, evidence_ids=ids, writer=self.writer.kind))
        return out
