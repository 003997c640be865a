"""The canonical report: sections, weights that matter, insufficient evidence, citations, determinism, escaping."""

from __future__ import annotations

import html as html_module
import json
from dataclasses import replace

import pytest

from techscaniq.domain import Citation
from techscaniq.report import audit, render
from techscaniq.report.content import walk_statements
from techscaniq.report.samples import sample_evidence, sample_scan
from techscaniq.report.writer import write_report
from techscaniq.theses import THESES

SECTIONS = (
    "schema",
    "header",
    "assessment",
    "executive_summary",
    "scores",
    "confidence",
    "findings_by_area",
    "thesis_deep_dive",
    "risk_register",
    "roadmap",
    "data_gaps",
    "coverage",
    "evidence_appendix",
    "references",
    "metadata",
)


@pytest.fixture(scope="module")
def evidence() -> list:
    return sample_evidence(120)


def test_report_has_every_section_in_order(evidence: list) -> None:
    written = write_report(sample_scan(), evidence)
    assert tuple(written.content) == SECTIONS
    assert written.writer == "deterministic"
    assert written.score is not None and written.grade is not None
    summary = written.content["executive_summary"]
    assert summary["recommendation"]["decision"] in {"Proceed", "Proceed with conditions", "Decline"}
    assert len(summary["upsides"]) == 3 and len(summary["risks"]) == 3
    assert set(written.content["roadmap"]) == {"0-6m", "6-18m", "18m+"}
    assert [c["id"] for c in written.content["scores"]["categories"]] == [
        "technology-modernity",
        "security-posture",
        "infrastructure-scalability",
        "product-developer-ecosystem",
        "compliance-trust",
        "team-hiring",
        "web-presence-performance",
    ]


def test_risk_register_rows_are_complete_and_cite_evidence(evidence: list) -> None:
    content = write_report(sample_scan(), evidence).content
    risks = content["risk_register"]
    assert [r["id"] for r in risks] == [f"R-{n:02d}" for n in range(1, len(risks) + 1)]
    ids = {e.id for e in evidence}
    for risk in risks:
        assert risk["likelihood"] in {"Low", "Medium", "High"} and risk["impact"] in {"Low", "Medium", "High"}
        assert risk["mitigation"] and risk["owner"] and risk["cost_band"]
        assert risk["evidence_ids"] and set(risk["evidence_ids"]) <= ids
    for items in content["roadmap"].values():
        for item in items:
            assert item["evidence_ids"] and set(item["evidence_ids"]) <= ids and item["cites"]


def test_coverage_table_comes_from_collector_runs(evidence: list) -> None:
    content = write_report(sample_scan(), evidence).content
    coverage = {row["collector"]: row for row in content["coverage"]}
    assert coverage["status_history"]["outcome"] == "failed"
    assert coverage["status_history"]["error"]["code"] == "fetch_failed"
    assert coverage["github"]["outcome"] == "skipped"
    assert coverage["homepage"]["outcome"] == "ok" and coverage["homepage"]["items"] == 12
    topics = [gap["topic"] for gap in content["data_gaps"]]
    assert "Collector status_history failed" in topics and "Collector github skipped" in topics


def test_weights_matter_same_evidence_different_theses_give_different_totals(evidence: list) -> None:
    totals = {slug: write_report(sample_scan(slug), evidence).score for slug in THESES}
    assert None not in totals.values()
    assert len(set(totals.values())) >= 4, totals


def test_custom_thesis_scores_through_its_basis(evidence: list) -> None:
    custom = {
        "thesisType": "custom",
        "customThesisName": "Security first",
        "criteria": [
            {"id": "security", "name": "Security", "weight": 80, "basis": "security-posture"},
            {"id": "apis", "name": "APIs", "weight": 20, "basis": "api-architecture-documentation"},
        ],
    }
    content = write_report(sample_scan(custom=custom), evidence).content
    criteria = {c["id"]: c for c in content["scores"]["criteria"]}
    categories = {c["id"]: c for c in content["scores"]["categories"]}
    assert criteria["security"]["score"] == categories["security-posture"]["score"]
    assert criteria["apis"]["score"] is not None
    assert content["header"]["thesis"]["custom"] is True


def test_removing_planted_evidence_changes_the_criterion_score() -> None:
    full = write_report(sample_scan(), sample_evidence(120)).content
    without = write_report(
        sample_scan(), sample_evidence(120, drop_types=frozenset({"openapi", "api_docs"}))
    ).content

    def score(content: dict, criterion: str) -> int | None:
        return next(c["score"] for c in content["scores"]["criteria"] if c["id"] == criterion)

    assert score(without, "service-oriented-architecture") < score(full, "service-oriented-architecture")


def test_insufficient_evidence_is_stated_plainly_without_total_or_decision() -> None:
    thin = sample_evidence()[:15]
    written = write_report(sample_scan(), thin)
    content = written.content
    assert content["assessment"]["status"] == "insufficient evidence"
    assert content["assessment"]["statement"].startswith("Insufficient evidence:")
    assert written.score is None and written.grade is None
    assert content["scores"]["total"]["score"] is None
    assert content["executive_summary"]["recommendation"]["decision"] is None
    markdown = render.render_markdown(content)
    assert "No recommendation: insufficient evidence" in markdown
    assert "Insufficient evidence: no total." in markdown


def test_no_evidence_at_all_still_renders() -> None:
    written = write_report(sample_scan(), [])
    assert written.citations == [] and written.score is None
    assert "No recommendation" in render.render_html(written.content)


def test_unscored_criterion_is_reported_not_defaulted() -> None:
    content = write_report(
        sample_scan("buy-and-build"),
        sample_evidence(
            60,
            drop_types=frozenset({"jobs_summary", "job_posting", "careers_page", "ats_provider", "leader"}),
        ),
    ).content
    team = next(c for c in content["scores"]["criteria"] if c["id"] == "team-depth-multi-codebase")
    assert team["score"] is None and team["status"] == "not scored" and team["points"] is None
    assert content["scores"]["total"]["unscored_weight"] >= 20
    assert any(g["topic"] == "Team Depth for Multi-Codebase" for g in content["data_gaps"])


@pytest.mark.parametrize("slug", sorted(THESES))
def test_citation_walk_over_every_rendered_form(slug: str, evidence: list) -> None:
    written = write_report(sample_scan(slug), evidence)
    ids = {e.id for e in evidence}
    assert written.citations
    assert audit.content_problems(written.content, written.citations, ids) == []
    markdown = render.render_markdown(written.content)
    assert audit.markdown_problems(markdown, written.content, written.citations) == []
    html = render.render_html(written.content)
    assert audit.html_problems(html, written.citations) == []
    statements = list(walk_statements(written.content))
    assert len(statements) > 50
    numbers = [c.number for c in written.citations]
    assert sorted(set(numbers)) == list(range(1, max(numbers) + 1))


def test_citation_audits_catch_each_kind_of_defect(evidence: list) -> None:
    written = write_report(sample_scan(), evidence)
    ids = {e.id for e in evidence}
    rows = written.citations
    last = max(c.number for c in rows)
    without_last = [c for c in rows if c.number != last]
    assert "has no citation row" in " ".join(audit.content_problems(written.content, without_last, ids))
    extra = [*rows, Citation(last + 1, "orphan", "x", next(iter(ids)))]
    assert "has no marker" in " ".join(audit.content_problems(written.content, extra, ids))
    foreign = [replace(rows[0], evidence_id="other-scan-item"), *rows[1:]]
    assert "outside the scan" in " ".join(audit.content_problems(written.content, foreign, ids))
    html = render.render_html(written.content)
    assert audit.html_problems(html.replace(f'href="#ref-{last}"', 'href="#ref-99999"'), rows)
    markdown = render.render_markdown(written.content)
    assert audit.markdown_problems(markdown.replace(f"[^{last}]", ""), written.content, rows)


def test_deterministic_writer_is_byte_identical(evidence: list) -> None:
    first = write_report(sample_scan(), evidence)
    second = write_report(sample_scan(), list(reversed(evidence)))
    assert json.dumps(first.content, sort_keys=True) == json.dumps(second.content, sort_keys=True)
    assert json.dumps(first.content) == json.dumps(second.content)  # key order too
    assert first.citations == second.citations
    assert render.render_markdown(first.content) == render.render_markdown(second.content)
    assert render.render_html(first.content) == render.render_html(second.content)


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_hostile_text_is_escaped_everywhere(evidence: list) -> None:
    hostile = [
        replace(e, title=HOSTILE, summary=HOSTILE) if e.type == "organization" else e for e in evidence
    ]
    hostile = [replace(e, source_url="javascript:alert(1)") if e.type == "customers" else e for e in hostile]
    written = write_report(sample_scan(company=HOSTILE), hostile)
    html = render.render_html(written.content)
    assert "<script" not in html.lower()
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html
    assert audit.html_problems(html, written.citations) == []
    csp = render.content_security_policy(render.stylesheet())
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert f'content="{csp}"' in html_module.unescape(html)
    markdown = render.render_markdown(written.content)
    assert "<script" not in markdown and "&lt;script&gt;" in markdown


def test_csp_hash_matches_the_inline_stylesheet() -> None:
    import base64
    import hashlib
    import re

    html = render.render_html(write_report(sample_scan(), sample_evidence(40)).content)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in html_module.unescape(html)
