"""The canonical report JSON: every section of theses.md built from findings and scores, every fact cited."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from techscaniq.domain import Citation, Evidence, Scan
from techscaniq.report.rules import (
    COST_BANDS,
    SEVERITY_RANK,
    TIMELINES,
    Finding,
    Impact,
    Level,
    Rule,
    apply_rules,
    load_rules,
)
from techscaniq.report.scoring import (
    BASE_SCORE,
    CRITICAL_EVIDENCE_TYPES,
    DECLINE_MARGIN_POINTS,
    MINIMUM_CONFIDENCE_TO_PROCEED,
    CriterionScore,
    Recommendation,
    Scorecard,
    risk_levels,
    scorecard,
    thesis_relevance,
)
from techscaniq.theses import CATEGORIES, Category, ResolvedThesis, get_thesis

SCHEMA = "techscaniq.report/1"
METHOD_VERSION = "1.0"
FACTS_PER_TYPE = 10
TOP_ITEMS = 3
# How many findings lifting, and how many holding back, the total a recommendation reason names.
TOTAL_DRIVERS = 3
ROADMAP_FOCUS_BELOW = 70
LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}

COMPANY_OVERVIEW = "company-overview"
# Area sections in report order, with the evidence types whose facts they list.
AREAS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        COMPANY_OVERVIEW,
        "Company overview",
        ("organization", "social_profile", "customers", "case_study", "contact_channel", "locales"),
    ),
    (Category.TECHNOLOGY_MODERNITY, "Technology stack", ("server_disclosure", "version_disclosure")),
    (
        Category.INFRASTRUCTURE_SCALABILITY,
        "Architecture, hosting and scalability",
        ("hosting", "dns_provider", "dns_records", "saas_verification"),
    ),
    (Category.SECURITY_POSTURE, "Security posture", ()),
    (
        Category.PRODUCT_DEVELOPER_ECOSYSTEM,
        "Product and developer ecosystem",
        ("api_docs", "openapi", "sdk", "webhooks", "changelog", "integrations", "pricing", "code_repository"),
    ),
    (
        Category.COMPLIANCE_TRUST,
        "Compliance and trust",
        (
            "compliance_claim",
            "trust_center",
            "policy",
            "subprocessors",
            "cookie_consent",
            "status_page",
            "disclosure_program",
            "sla_claim",
        ),
    ),
    (
        Category.TEAM_HIRING,
        "Team and hiring",
        ("careers_page", "ats_provider", "jobs_summary", "leader", "job_posting"),
    ),
    (
        Category.WEB_PRESENCE_PERFORMANCE,
        "Web presence and performance",
        ("crawl_summary", "site_performance", "page_performance", "robots_txt", "sitemap", "fetch_failure"),
    ),
)
SECURITY_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HTTP Observatory", ("observatory_score", "observatory_test")),
    ("TLS", ("tls_certificate", "tls_protocols", "tls_handshake", "hsts")),
    (
        "E-mail security",
        ("spf", "dmarc", "dkim", "mta_sts", "tls_rpt", "bimi", "mail_provider", "caa", "dnssec"),
    ),
    (
        "Other web security checks",
        ("cookie", "redirect_chain", "cors", "mixed_content", "subresource_integrity", "security_txt"),
    ),
)
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


@dataclass(frozen=True)
class BuiltReport:
    """The canonical JSON and its citation rows (one row per cited evidence id of each numbered claim)."""

    content: dict[str, Any]
    citations: list[Citation]
    score: int | None
    grade: str | None


@dataclass
class _Claim:
    text: str
    section: str
    evidence_ids: tuple[str, ...]


class CitationBook:
    """Hands out citation numbers per claim, then renumbers them in document order."""

    def __init__(self, known_ids: set[str]) -> None:
        self._known = known_ids
        self._claims: list[_Claim] = []

    def statement(self, section: str, text: str, evidence_ids: Sequence[str], **extra: Any) -> dict[str, Any]:
        """A cited statement: text, its citation number and evidence ids (unknown ids are a bug)."""
        ids = tuple(dict.fromkeys(evidence_ids))
        unknown = [i for i in ids if i not in self._known]
        if unknown or not ids:
            raise ValueError(f"statement {text[:60]!r} cites unknown or no evidence: {unknown}")
        self._claims.append(_Claim(text, section, ids))
        return {"text": text, "cite": len(self._claims), "evidence_ids": list(ids), **extra}

    def finish(self, content: dict[str, Any]) -> list[Citation]:
        """Renumber markers by first appearance in the content; return the rows (unused claims vanish)."""
        order: dict[int, int] = {}
        for node in walk_statements(content):
            for old in _cites(node):
                order.setdefault(old, len(order) + 1)
        for node in walk_statements(content):
            if "cite" in node:
                node["cite"] = order[node["cite"]]
            if "cites" in node:
                node["cites"] = [order[n] for n in node["cites"]]
        rows: list[Citation] = []
        references = []
        for old, new in sorted(order.items(), key=lambda pair: pair[1]):
            claim = self._claims[old - 1]
            rows.extend(Citation(new, claim.text, claim.section, eid) for eid in claim.evidence_ids)
            references.append(
                {
                    "number": new,
                    "claim": claim.text,
                    "section": claim.section,
                    "evidence_ids": list(claim.evidence_ids),
                }
            )
        content["references"] = references
        return rows


def _cites(node: Mapping[str, Any]) -> list[int]:
    numbers = [node["cite"]] if "cite" in node else []
    return numbers + list(node.get("cites", []))


def walk_statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict carrying a citation marker (`cite` or `cites`), in document order."""
    if isinstance(node, dict):
        if "cite" in node or "cites" in node:
            yield node
        for key, value in node.items():
            if key != "references":
                yield from walk_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_statements(value)


def _order(items: Sequence[Evidence]) -> list[Evidence]:
    return sorted(items, key=lambda e: (e.type, e.dedup_key, e.id))


def _fact_text(item: Evidence) -> str:
    return (item.summary or item.title).strip() or item.type


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + (parts.path or "/")) if parts.netloc else url


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


class _Builder:
    def __init__(
        self,
        scan: Scan,
        evidence: Sequence[Evidence],
        thesis: ResolvedThesis,
        writer: Mapping[str, Any],
        narrative: Narrative | None,
        rules: Sequence[Rule],
    ) -> None:
        self.scan = scan
        self.evidence = _order(evidence)
        self.by_type: dict[str, list[Evidence]] = {}
        for item in self.evidence:
            self.by_type.setdefault(item.type, []).append(item)
        self.thesis = thesis
        self.writer = dict(writer)
        self.narrative = narrative or Narrative()
        self.book = CitationBook({item.id for item in self.evidence})
        self.findings = apply_rules(rules, self.evidence)
        self.card: Scorecard = scorecard(thesis, self.findings, [item.type for item in self.evidence])
        self.finding_statements: dict[int, dict[str, Any]] = {}

    # -- shared pieces ------------------------------------------------------------------------------

    def _finding_ref(self, finding: Finding) -> dict[str, Any]:
        """The finding's statement (one citation number per finding, reused wherever it is shown)."""
        key = id(finding)
        if key not in self.finding_statements:
            area = _primary_area(finding.rule)
            self.finding_statements[key] = self.book.statement(
                f"findings.{area}",
                finding.observation,
                finding.evidence_ids,
                rule=finding.rule.id,
                rule_name=finding.rule.name,
                impact=str(finding.impact),
                severity=str(finding.severity),
                points=finding.points,
                id=finding_id(finding),
            )
        return dict(self.finding_statements[key])

    def _facts(self, section: str, types: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for type_ in types:
            for item in self.by_type.get(type_, [])[:FACTS_PER_TYPE]:
                out.append(self.book.statement(section, _fact_text(item), [item.id], type=item.type))
        return out

    # -- sections -----------------------------------------------------------------------------------

    def areas(self) -> list[dict[str, Any]]:
        sections = []
        for area_id, title, fact_types in AREAS:
            section = f"findings.{area_id}"
            findings = [f for f in self.findings if _primary_area(f.rule) == area_id]
            blocks: list[dict[str, Any]] = []
            narrative = [
                self.book.statement(section, s.text, s.evidence_ids, writer=self.writer["kind"])
                for s in self.narrative.areas.get(str(area_id), ())
            ]
            if area_id == Category.TECHNOLOGY_MODERNITY:
                blocks.append(self._stack_table(section))
            if area_id == Category.SECURITY_POSTURE:
                blocks.extend(self._security_blocks(section))
            facts = self._facts(section, fact_types)
            if facts:
                blocks.append({"title": "Observed facts", "statements": facts})
            sections.append(
                {
                    "id": str(area_id),
                    "title": title,
                    "narrative": narrative,
                    "findings": [self._finding_ref(f) for f in findings],
                    "blocks": [b for b in blocks if b.get("statements") or b.get("rows")],
                }
            )
        return sections

    def _stack_table(self, section: str) -> dict[str, Any]:
        rows = []
        items = sorted(
            self.by_type.get("technology", []),
            key=lambda e: (_first(e.data.get("categories")) or "~", str(e.data.get("name") or e.title), e.id),
        )
        for item in items:
            name = str(item.data.get("name") or item.title)
            category = _first(item.data.get("categories")) or "Other"
            version = str(item.data.get("version") or "")
            where = _path_of(item.source_url)
            match = _first(item.data.get("matches"))
            via = str(match.get("field", "")) if isinstance(match, Mapping) else ""
            seen = f"{where} ({via})" if via else where
            claim = f"{name}{' ' + version if version else ''} ({category}) was detected at {seen}."
            rows.append(
                self.book.statement(section, claim, [item.id], cells=[category, name, version or "-", seen])
            )
        return {
            "title": "Technology stack by category",
            "columns": ["Category", "Technology", "Version", "Where seen"],
            "rows": rows,
        }

    def _security_blocks(self, section: str) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        headers = self.by_type.get("security_header", [])
        if headers:
            rows = []
            for item in headers:
                header = str(item.data.get("header") or item.title)
                host = str(item.data.get("host") or urlsplit(item.source_url).netloc)
                presence = str(item.data.get("presence") or "unknown")
                value = str(item.data.get("value") or "")
                claim = f"{host} answers with the {header} header {presence}{': ' + value[:120] if value else ''}."
                rows.append(
                    self.book.statement(
                        section, claim, [item.id], cells=[host, header, presence, value[:80] or "-"]
                    )
                )
            blocks.append(
                {
                    "title": "Security header matrix",
                    "columns": ["Host", "Header", "Presence", "Value"],
                    "rows": rows,
                }
            )
        for title, types in SECURITY_BLOCKS:
            blocks.append({"title": title, "statements": self._facts(section, types)})
        return blocks

    def scores(self) -> dict[str, Any]:
        card = self.card
        criteria = []
        for cs in card.criteria:
            criteria.append(
                {
                    "id": cs.criterion.id,
                    "name": cs.criterion.name,
                    "weight": cs.criterion.weight,
                    "basis": cs.criterion.basis,
                    "status": "scored" if cs.scored else "not scored",
                    "score": cs.score,
                    "band": cs.band,
                    "points": None if cs.points is None else round(cs.points, 2),
                    "trace": _trace(cs.findings),
                    "findings": [self._finding_ref(f) for f in cs.findings],
                }
            )
        total = card.total
        categories = [
            {
                "id": str(c.category),
                "name": c.name,
                "score": c.score,
                "grade": c.grade,
                "trace": _trace(c.findings),
                "findings": [self._finding_ref(f) for f in c.findings],
            }
            for c in card.categories
        ]
        return {
            "method": (
                f"Each criterion and category starts at {BASE_SCORE}; every finding that feeds it adds or "
                "subtracts its points; the result is clamped to 0-100. A criterion no finding feeds is not scored."
            ),
            "criteria": criteria,
            "total": {
                "score": total.score,
                "grade": total.grade,
                "threshold": total.threshold,
                "passed": total.passed,
                "scored_weight": total.scored_weight,
                "unscored_weight": total.unscored_weight,
                "formula": "total = 100 x sum(points) / sum(weight of scored criteria); points = score x weight / 100",
            },
            "categories": categories,
        }

    def confidence(self) -> dict[str, Any]:
        card = self.card
        return {
            "coverage_confidence": card.coverage_confidence,
            "label": card.confidence_label,
            "scored_weight": card.total.scored_weight,
            "unscored_weight": card.total.unscored_weight,
            "missing_critical_evidence": card.missing_critical_types,
            "observed_items": card.observed_items,
            "status": "insufficient evidence" if card.insufficient else "sufficient",
            "insufficient_reason": card.insufficient,
            "method": (
                "Share of thesis weight with evidence, less 10 points per missing critical evidence type "
                "(at most 50). Missing evidence lowers confidence, never the score."
            ),
        }

    def deep_dive(self) -> list[dict[str, Any]]:
        out = []
        for cs in self.card.criteria:
            findings = sorted(cs.findings, key=lambda f: (-abs(f.points), f.rule.id))
            strengths = [self._finding_ref(f) for f in findings if f.impact is Impact.POSITIVE]
            gaps = [self._finding_ref(f) for f in findings if f.impact is Impact.NEGATIVE]
            recommendations = []
            for f in findings:
                remedy = f.rule.remedy
                if f.impact is Impact.NEGATIVE and remedy is not None:
                    recommendations.append(
                        {
                            "action": remedy.action,
                            "cost_band": remedy.cost_band,
                            "timeline": remedy.timeline,
                            "impact": remedy.expected_impact or remedy.mitigation,
                            "cites": [self._finding_ref(f)["cite"]],
                        }
                    )
            out.append(
                {
                    "criterion": cs.criterion.id,
                    "name": cs.criterion.name,
                    "weight": cs.criterion.weight,
                    "score": cs.score,
                    "band": cs.band,
                    "findings": [self._finding_ref(f) for f in findings],
                    "strengths": strengths,
                    "gaps": gaps,
                    "unscored_gap": None
                    if cs.scored
                    else f"No outside-in evidence for {cs.criterion.name}; it is not scored and its weight "
                    f"({cs.criterion.weight}) is left out of the total.",
                    "recommendations": recommendations,
                }
            )
        return out

    def risks(self) -> list[dict[str, Any]]:
        negatives = [f for f in self.findings if f.impact is Impact.NEGATIVE]

        def rank(f: Finding) -> tuple[int, int, int, int, str]:
            likelihood, impact = risk_levels(f)
            return (
                -(LEVEL_RANK[likelihood] + 1) * (LEVEL_RANK[impact] + 1),
                -SEVERITY_RANK[f.severity],
                -thesis_relevance(f, self.thesis),
                f.points,
                f.rule.id,
            )

        register = []
        for number, finding in enumerate(sorted(negatives, key=rank), start=1):
            likelihood, impact = risk_levels(finding)
            remedy = finding.rule.remedy
            statement = self._finding_ref(finding)
            register.append(
                {
                    "id": f"R-{number:02d}",
                    "title": finding.rule.name,
                    "description": statement,
                    "likelihood": str(likelihood),
                    "impact": str(impact),
                    "mitigation": remedy.mitigation if remedy else "",
                    "owner": remedy.owner if remedy else "",
                    "cost_band": remedy.cost_band if remedy else "",
                    "criteria": [
                        c.id for c in self.thesis.criteria if finding in _fed(self.card.criteria, c.id)
                    ],
                    "evidence_ids": list(finding.evidence_ids),
                }
            )
        return register

    def roadmap(self) -> dict[str, list[dict[str, Any]]]:
        by_action: dict[str, list[Finding]] = {}
        for f in self.findings:
            if f.impact is Impact.NEGATIVE and f.rule.remedy is not None:
                by_action.setdefault(f.rule.remedy.action, []).append(f)
        buckets: dict[str, list[dict[str, Any]]] = {t: [] for t in TIMELINES}
        for action, findings in by_action.items():
            remedy = findings[0].rule.remedy
            assert remedy is not None
            served = [cs for cs in self.card.criteria if any(f in cs.findings for f in findings)]
            recovered = -sum(f.points for f in findings)
            target = (
                min(served, key=lambda cs: (cs.score if cs.score is not None else 101, -cs.criterion.weight))
                if served
                else None
            )
            # An initiative outside the thesis criteria still serves a category; it ranks after the thesis ones.
            weight = target.criterion.weight if target else 0
            buckets[remedy.timeline].append(
                {
                    "name": action,
                    "expected_impact": remedy.expected_impact or remedy.mitigation,
                    "cost": remedy.cost_band,
                    "roi": _roi(recovered * weight / 100, remedy.cost_band),
                    "owner": remedy.owner,
                    "criterion": target.criterion.id if target else None,
                    "category": str(findings[0].rule.categories[0]),
                    "criterion_score": target.score if target else None,
                    "weight": weight,
                    "focus": target is not None
                    and target.score is not None
                    and target.score < ROADMAP_FOCUS_BELOW,
                    "cites": [self._finding_ref(f)["cite"] for f in findings],
                    "evidence_ids": list(dict.fromkeys(i for f in findings for i in f.evidence_ids)),
                }
            )
        for items in buckets.values():
            items.sort(key=lambda i: (not i["focus"], -i["weight"], i["name"]))
        return buckets

    def data_gaps(self) -> list[dict[str, str]]:
        gaps = []
        for cs in self.card.criteria:
            if not cs.scored:
                gaps.append(
                    {
                        "topic": cs.criterion.name,
                        "question": f"No public evidence on {cs.criterion.name}: provide material on "
                        f"{cs.criterion.description or cs.criterion.name}.",
                    }
                )
        for type_ in self.card.missing_critical_types:
            gaps.append(
                {
                    "topic": f"Missing evidence: {type_}",
                    "question": f"The scan produced no '{type_}' evidence; confirm it in the data room or re-run the scan.",
                }
            )
        for run in self.by_type.get("collector_run", []):
            outcome = str(run.data.get("outcome", ""))
            if outcome in {"failed", "skipped"}:
                name = str(run.data.get("collector") or run.dedup_key)
                gaps.append(
                    {
                        "topic": f"Collector {name} {outcome}",
                        "question": f"The {name} collector {outcome}; what it would have observed must be "
                        "supplied in the data room.",
                    }
                )
        gaps.extend(
            {"topic": topic, "question": question} for topic, question in STANDARD_DATA_ROOM_QUESTIONS
        )
        return gaps

    def coverage(self) -> list[dict[str, Any]]:
        rows = []
        for run in self.by_type.get("collector_run", []):
            data = run.data
            name = str(data.get("collector") or run.dedup_key)
            outcome = str(data.get("outcome", "unknown"))
            items = data.get("items", 0)
            error = data.get("error") if isinstance(data.get("error"), Mapping) else None
            text = f"Collector {name}: {outcome}, {items} items"
            if error:
                text += f", error {error.get('code')}: {error.get('message')}"
            rows.append(
                self.book.statement(
                    "coverage",
                    text + ".",
                    [run.id],
                    collector=name,
                    outcome=outcome,
                    items=items,
                    error=dict(error) if error else None,
                )
            )
        return rows

    def appendix(self) -> list[dict[str, Any]]:
        return [
            {
                "id": item.id,
                "type": item.type,
                "category": item.category,
                "title": item.title,
                "source_url": item.source_url,
                "collected_at": item.collected_at.isoformat(),
                "confidence": item.confidence,
            }
            for item in self.evidence
        ]

    def executive_summary(self, risks: list[dict[str, Any]]) -> dict[str, Any]:
        card = self.card
        total = card.total
        name = self.scan.company_name
        if card.insufficient:
            fit = (
                f"Insufficient evidence: {card.insufficient}. No total score and no recommendation are given "
                f"for {name} under the {self.thesis.name} thesis."
            )
        else:
            assert total.score is not None
            fit = (
                f"{name} scores {total.score}/100 (grade {total.grade}) against the {self.thesis.name} threshold "
                f"of {total.threshold}: {'pass' if total.passed else 'fail'}, over {total.scored_weight} of "
                f"{total.scored_weight + total.unscored_weight} thesis weight, with coverage confidence "
                f"{card.coverage_confidence} ({card.confidence_label})."
            )
        positives = [f for f in self.findings if f.impact is Impact.POSITIVE]
        positives.sort(key=lambda f: (-f.points * max(thesis_relevance(f, self.thesis), 1), f.rule.id))
        upsides = [self._finding_ref(f) for f in positives[:TOP_ITEMS]]
        top_risks = [
            {**r["description"], "risk": r["id"], "likelihood": r["likelihood"], "impact": r["impact"]}
            for r in risks[:TOP_ITEMS]
        ]
        conditions = self._conditions(risks)
        next_steps = list(self.narrative.next_steps) or _next_steps(card, bool(risks))
        return {
            "fit": fit,
            "narrative": [
                self.book.statement("executive_summary", s.text, s.evidence_ids, writer=self.writer["kind"])
                for s in self.narrative.summary
            ],
            "upsides": upsides,
            "risks": top_risks,
            "recommendation": {
                "decision": None if card.recommendation is None else str(card.recommendation),
                "rule": (
                    "Proceed: total at or above the threshold, no High-likelihood and High-impact risk, and "
                    "coverage confidence at least 60. Proceed with conditions: at or above the threshold but "
                    "one of the other tests fails, or within 10 points below it. Decline: more than 10 points "
                    "below the threshold. No decision with insufficient evidence."
                ),
                "because": _because(card),
                "reasons": self._reasons(risks),
                "high_high_risk": card.high_high_risk,
                "conditions": conditions,
            },
            "next_steps": next_steps,
        }

    # -- the recommendation: why this decision for this company ------------------------------------------------

    def _reasons(self, risks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One cited reason per test of the recommendation rule (total, risk, confidence); none without a total."""
        card = self.card
        if card.recommendation is None:
            return []
        return [self._total_reason(), self._risk_reason(risks), self._confidence_reason()]

    def _total_reason(self) -> dict[str, Any]:
        total = self.card.total
        assert total.score is not None
        gap = total.score - total.threshold
        below = f"{-gap} point{'' if gap == -1 else 's'} below the threshold {total.threshold}"
        if gap >= 0:
            verdict = f"is at or above the threshold {total.threshold} (+{gap}): the total test passes"
        elif gap >= -DECLINE_MARGIN_POINTS:
            verdict = f"is {below}, within the {DECLINE_MARGIN_POINTS}-point margin: at best Proceed with conditions"
        else:
            verdict = f"is {below}, beyond the {DECLINE_MARGIN_POINTS}-point margin: Decline"
        moves = self._total_moves()
        lifts = [move for move in moves if move[1] > 0][:TOTAL_DRIVERS]
        drags = [move for move in moves if move[1] < 0][:TOTAL_DRIVERS]
        drivers = (lifts + drags) or moves[:1]
        parts = []
        if lifts:
            parts.append("lifted most by " + _named_moves(lifts))
        if drags:
            parts.append("held back most by " + _named_moves(drags))
        if not parts:
            parts.append("no finding that feeds it carries points")
        return {
            "test": "total",
            "passed": gap >= 0,
            "text": f"Weighted total {total.score} {verdict}; it is {'; '.join(parts)}.",
            "cites": [self._finding_ref(f)["cite"] for findings, _ in drivers for f in findings],
        }

    def _total_moves(self) -> list[tuple[list[Finding], float]]:
        """Each rule's findings with the total points they move together, largest first.

        A finding moves the total by its points x the weight of the scored criteria it feeds / the scored weight.
        """
        scored = [cs for cs in self.card.criteria if cs.scored]
        weight = sum(cs.criterion.weight for cs in scored)
        by_rule: dict[str, tuple[list[Finding], float]] = {}
        for cs in scored:
            for f in cs.findings:
                findings, points = by_rule.get(f.rule.id, ([], 0.0))
                if not any(g is f for g in findings):
                    findings.append(f)
                by_rule[f.rule.id] = (findings, points + f.points * cs.criterion.weight / weight)
        return sorted(by_rule.values(), key=lambda move: (-abs(move[1]), move[0][0].rule.id))

    def _risk_reason(self, risks: list[dict[str, Any]]) -> dict[str, Any]:
        high_high = [r for r in risks if (r["likelihood"], r["impact"]) == (Level.HIGH, Level.HIGH)]
        if high_high:
            named = ", ".join(f"{r['id']} ({r['title']})" for r in high_high[:TOP_ITEMS])
            return {
                "test": "risk",
                "passed": False,
                "text": f"{named} {'is' if len(high_high) == 1 else 'are'} both High likelihood and High impact: "
                "the risk test fails.",
                "cites": [r["description"]["cite"] for r in high_high[:TOP_ITEMS]],
            }
        if risks:
            top = risks[0]
            return {
                "test": "risk",
                "passed": True,
                "text": f"No risk is both High likelihood and High impact; the highest is {top['id']} "
                f"({top['title']}, {top['likelihood']} likelihood, {top['impact']} impact): the risk test passes.",
                "cites": [top["description"]["cite"]],
            }
        # Nothing negative was observed, so there is no evidence to cite for an empty register.
        return {
            "test": "risk",
            "passed": True,
            "text": "No negative finding, so the risk register is empty: the risk test passes.",
        }

    def _confidence_reason(self) -> dict[str, Any]:
        card = self.card
        total = card.total
        present = [t for t in CRITICAL_EVIDENCE_TYPES if t in self.by_type]
        passed = card.coverage_confidence >= MINIMUM_CONFIDENCE_TO_PROCEED
        text = (
            f"Coverage confidence {card.coverage_confidence} ({card.confidence_label}) is "
            f"{'at least' if passed else 'below'} {MINIMUM_CONFIDENCE_TO_PROCEED}: {total.scored_weight} of "
            f"{total.scored_weight + total.unscored_weight} thesis weight is scored and {len(present)} of "
            f"{len(CRITICAL_EVIDENCE_TYPES)} critical evidence types were observed"
            + (f" ({', '.join(card.missing_critical_types)} missing)" if card.missing_critical_types else "")
            + f": the confidence test {'passes' if passed else 'fails'}."
        )
        # Cited by the first item of each critical type observed: what the coverage figure counts.
        ids = [self.by_type[t][0].id for t in present]
        return self.book.statement("executive_summary", text, ids, test="confidence", passed=passed)

    def _conditions(self, risks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The mitigations to agree and what to confirm in the data room, for Proceed with conditions only."""
        card = self.card
        if card.recommendation is not Recommendation.PROCEED_WITH_CONDITIONS:
            return []
        conditions: list[dict[str, Any]] = []
        for r in risks:
            if r["impact"] == Level.HIGH or r["likelihood"] == Level.HIGH or len(conditions) < TOP_ITEMS:
                conditions.append(
                    {
                        "text": f"{r['title']}: {r['mitigation']}",
                        "risk": r["id"],
                        "cites": [r["description"]["cite"]],
                    }
                )
        unscored = [cs.criterion.name for cs in card.criteria if not cs.scored]
        if unscored:
            conditions.append(
                {
                    "text": "Confirm in the data room what the scan could not observe for: "
                    + ", ".join(unscored)
                    + ".",
                    "kind": "data-room",
                }
            )
        if card.missing_critical_types:
            conditions.append(
                {
                    "text": "Confirm in the data room the evidence the scan did not produce: "
                    + ", ".join(card.missing_critical_types)
                    + ".",
                    "kind": "data-room",
                }
            )
        if card.coverage_confidence < MINIMUM_CONFIDENCE_TO_PROCEED:
            conditions.append(
                {
                    "text": "Close the data gaps listed below in the data room before signing.",
                    "kind": "data-room",
                }
            )
        return conditions

    def build(self) -> BuiltReport:
        scan = self.scan
        thesis = self.thesis
        areas = self.areas()
        scores = self.scores()
        deep_dive = self.deep_dive()
        risks = self.risks()
        summary = self.executive_summary(risks)
        collected = [item.collected_at for item in self.evidence]
        content: dict[str, Any] = {
            "schema": SCHEMA,
            "header": {
                "company": scan.company_name,
                "website_url": scan.website_url,
                "scan_id": scan.id,
                "thesis": {
                    "slug": thesis.slug,
                    "name": thesis.name,
                    "custom": thesis.custom,
                    "threshold": thesis.threshold,
                    "snapshot": thesis.to_dict(),
                },
                "dates": {
                    "scan_created": scan.created_at.isoformat(),
                    "evidence_from": min(collected).isoformat() if collected else None,
                    "evidence_to": max(collected).isoformat() if collected else None,
                },
                "evidence_count": len(self.evidence),
                "method_version": METHOD_VERSION,
                "writer": self.writer,
            },
            "assessment": {
                "status": "insufficient evidence" if self.card.insufficient else "scored",
                "statement": summary["fit"],
            },
            "executive_summary": summary,
            "scores": scores,
            "confidence": self.confidence(),
            "findings_by_area": areas,
            "thesis_deep_dive": deep_dive,
            "risk_register": risks,
            "roadmap": self.roadmap(),
            "data_gaps": self.data_gaps(),
            "coverage": self.coverage(),
            "evidence_appendix": self.appendix(),
            "references": [],
            "metadata": {
                "finding_count": len(self.findings),
                "rules_fired": sorted({f.rule.id for f in self.findings}),
                "cost_bands": list(COST_BANDS),
            },
        }
        citations = self.book.finish(content)
        total = self.card.total
        return BuiltReport(content=content, citations=citations, score=total.score, grade=total.grade)


def finding_id(finding: Finding) -> str:
    """A finding's id, the same in every version and in a scan of the same site: its rule, plus its item's hash."""
    if not finding.rule.per_item:
        return finding.rule.id
    return f"{finding.rule.id}:{hashlib.sha256(finding.observation.encode()).hexdigest()[:10]}"


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple) and value:
        return value[0]
    return None


def _primary_area(rule: Rule) -> str:
    if rule.area == "market" and Category.WEB_PRESENCE_PERFORMANCE in rule.categories:
        return COMPANY_OVERVIEW
    return str(rule.categories[0])


def _fed(criteria: Sequence[CriterionScore], criterion_id: str) -> tuple[Finding, ...]:
    return next((cs.findings for cs in criteria if cs.criterion.id == criterion_id), ())


def _trace(findings: Sequence[Finding]) -> str:
    if not findings:
        return "not scored: no finding feeds it"
    parts = " ".join(f"{'+' if f.points >= 0 else '-'} {abs(f.points)} ({f.rule.id})" for f in findings)
    raw = BASE_SCORE + sum(f.points for f in findings)
    return f"{BASE_SCORE} {parts} = {raw}" + (
        f", clamped to {max(0, min(100, raw))}" if not 0 <= raw <= 100 else ""
    )


def _roi(total_points: float, cost_band: str) -> str:
    cheap = COST_BANDS.index(cost_band) <= 1
    if total_points >= 2 and cheap:
        return "High"
    if total_points >= 2 or cheap:
        return "Medium"
    return "Low"


def _named_moves(moves: Sequence[tuple[list[Finding], float]]) -> str:
    named = [
        f"{findings[0].rule.name} ({points:+.1f}{f', {len(findings)} findings' if len(findings) > 1 else ''})"
        for findings, points in moves
    ]
    return ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]


def _because(card: Scorecard) -> str | None:
    """The decision in one clause, from the tests of the recommendation rule (the reasons give the figures)."""
    total = card.total
    if card.recommendation is None or total.score is None:
        return None
    if card.recommendation is Recommendation.DECLINE:
        return f"the total is more than {DECLINE_MARGIN_POINTS} points below the threshold"
    if total.score < total.threshold:
        return f"the total is below the threshold but within {DECLINE_MARGIN_POINTS} points of it"
    failed = []
    if card.high_high_risk:
        failed.append("a risk is both High likelihood and High impact")
    if card.coverage_confidence < MINIMUM_CONFIDENCE_TO_PROCEED:
        failed.append(f"coverage confidence is below {MINIMUM_CONFIDENCE_TO_PROCEED}")
    if failed:
        return "the total passes the threshold, but " + " and ".join(failed)
    return (
        "the total passes the threshold, no risk is both High likelihood and High impact, and coverage confidence "
        f"is at least {MINIMUM_CONFIDENCE_TO_PROCEED}"
    )


def _next_steps(card: Scorecard, any_risk: bool) -> list[str]:
    steps = []
    if card.insufficient:
        steps.append(
            "Re-run the scan once the site is reachable, or gather the missing evidence in the data room."
        )
    if any_risk:
        steps.append("Price the mitigations in the risk register into the offer and the 100-day plan.")
    steps.append("Send the data-gap questions to the data room and schedule a technology management session.")
    if card.missing_critical_types:
        steps.append(
            "Confirm the missing critical evidence (" + ", ".join(card.missing_critical_types) + ")."
        )
    return steps


def build_report(
    scan: Scan,
    evidence: Sequence[Evidence],
    *,
    writer: Mapping[str, Any] | None = None,
    narrative: Narrative | None = None,
    thesis: ResolvedThesis | None = None,
    rules: Sequence[Rule] | None = None,
) -> BuiltReport:
    """Build the canonical report JSON and citation rows; the same inputs give the same output."""
    return _Builder(
        scan,
        evidence,
        thesis or resolved_thesis(scan),
        writer or {"kind": "deterministic"},
        narrative,
        rules if rules is not None else load_rules(),
    ).build()


def analyse(scan: Scan, evidence: Sequence[Evidence]) -> tuple[list[Finding], Scorecard]:
    """Findings and scorecard alone (what an LLM writer is shown)."""
    thesis = resolved_thesis(scan)
    findings = apply_rules(load_rules(), _order(evidence))
    return findings, scorecard(thesis, findings, [item.type for item in evidence])


def category_name(category_id: str) -> str:
    """Display name of a category id."""
    return CATEGORIES[Category(category_id)]
