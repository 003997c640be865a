"""The canonical report: sections, weights that matter, insufficient evidence, citations, determinism, escaping."""

from __future__ import annotations

import html as html_module
import json
from dataclasses import replace

import pytest

from techscaniq.domain import Citation
from techscaniq.report import audit, render
from techscaniq.report.content import walk_statements
from techscaniq.report.writer import write_report
from techscaniq.theses import THESES
from tests.support.report_samples import sample_evidence, sample_scan

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


def _statements_by_cite(content: dict) -> dict[int, dict]:
    return {node["cite"]: node for node in walk_statements(content) if "cite" in node and "rule" in node}


def _box(markdown: str) -> str:
    """The recommendation box of the Markdown rendering: from the decision to the top upsides."""
    start = markdown.index("**Recommendation")
    return markdown[start : markdown.index("### Top upsides", start)]


def test_recommendation_box_says_why_for_this_company(evidence: list) -> None:
    written = write_report(sample_scan(), evidence)
    content = written.content
    recommendation = content["executive_summary"]["recommendation"]
    total = content["scores"]["total"]
    assert recommendation["decision"] == "Proceed"
    assert recommendation["because"].startswith("the total passes the threshold, no risk")
    reasons = {r["test"]: r for r in recommendation["reasons"]}
    assert list(reasons) == ["total", "risk", "confidence"] and all(r["passed"] for r in reasons.values())
    assert reasons["total"]["text"].startswith(
        f"Weighted total {total['score']} is at or above the threshold {total['threshold']} "
        f"(+{total['score'] - total['threshold']})"
    )
    # Every finding the total reason names is one it cites, and each cited finding is named.
    findings = _statements_by_cite(content)
    named = {findings[n]["rule_name"] for n in reasons["total"]["cites"]}
    assert named and all(name in reasons["total"]["text"] for name in named)
    risks = content["risk_register"]
    assert f"the highest is {risks[0]['id']} ({risks[0]['title']}" in reasons["risk"]["text"]
    assert reasons["risk"]["cites"] == [risks[0]["description"]["cite"]]
    confidence = content["confidence"]["coverage_confidence"]
    assert reasons["confidence"]["text"].startswith(f"Coverage confidence {confidence} (")
    assert len(reasons["confidence"]["evidence_ids"]) == 7  # one item per critical evidence type observed
    assert recommendation["conditions"] == []
    box = _box(render.render_markdown(content))
    assert box.count("- Why: ") == 3 and "coverage confidence at least 60. Proceed with conditions" not in box
    html = render.render_html(content)
    decision = html[
        html.index('<div class="decision">') : html.index("</div>", html.index('<div class="decision">'))
    ]
    assert "Why:" in decision and recommendation["rule"] not in decision
    assert audit.html_problems(html, written.citations) == []


def test_a_high_likelihood_high_impact_risk_is_the_reason_and_its_mitigation_a_condition(
    evidence: list,
) -> None:
    broken = [
        replace(e, data={**e.data, "verified": False, "verify_failure": "certificate has expired"})
        if e.type == "tls_certificate"
        else e
        for e in evidence
    ]
    written = write_report(sample_scan(), broken)
    content = written.content
    recommendation = content["executive_summary"]["recommendation"]
    assert content["scores"]["total"]["passed"] is True
    assert recommendation["decision"] == "Proceed with conditions"
    assert "a risk is both High likelihood and High impact" in recommendation["because"]
    [tls_risk] = [r for r in content["risk_register"] if r["title"] == "TLS certificate problem"]
    risk_reason = next(r for r in recommendation["reasons"] if r["test"] == "risk")
    assert risk_reason["passed"] is False
    assert risk_reason["text"].startswith(
        f"{tls_risk['id']} (TLS certificate problem) is both High likelihood"
    )
    assert risk_reason["cites"] == [tls_risk["description"]["cite"]]
    condition = next(c for c in recommendation["conditions"] if c.get("risk") == tls_risk["id"])
    assert condition["text"] == f"TLS certificate problem: {tls_risk['mitigation']}"
    assert condition["cites"] == [tls_risk["description"]["cite"]]
    box = _box(render.render_markdown(content))
    cite = condition["cites"][0]
    assert f"- Condition: {render.md_escape(condition['text'])} [^{cite}] ({tls_risk['id']})" in box
    assert f"- Why: {render.md_escape(risk_reason['text'])} [^{cite}]" in box


def test_within_the_margin_the_conditions_include_what_to_confirm_in_the_data_room() -> None:
    custom = {
        "thesisType": "custom",
        "customThesisName": "APIs and team",
        "criteria": [
            {"id": "apis", "name": "APIs", "weight": 50, "basis": "api-architecture-documentation"},
            {"id": "team", "name": "Team depth", "weight": 50, "basis": "team-depth-multi-codebase"},
        ],
    }
    no_team = sample_evidence(
        60, drop_types=frozenset({"jobs_summary", "job_posting", "careers_page", "ats_provider", "leader"})
    )
    score = write_report(sample_scan(custom=custom), no_team).score
    assert score is not None
    content = write_report(sample_scan(custom={**custom, "threshold": min(score + 5, 100)}), no_team).content
    recommendation = content["executive_summary"]["recommendation"]
    assert recommendation["decision"] == "Proceed with conditions"
    assert recommendation["because"] == "the total is below the threshold but within 10 points of it"
    total_reason = recommendation["reasons"][0]
    assert total_reason["passed"] is False
    assert f"is {min(score + 5, 100) - score} points below the threshold" in total_reason["text"]
    data_room = [c["text"] for c in recommendation["conditions"] if c.get("kind") == "data-room"]
    assert "Confirm in the data room what the scan could not observe for: Team depth." in data_room
    assert "Close the data gaps listed below in the data room before signing." in data_room
    confidence_reason = recommendation["reasons"][2]
    assert (
        confidence_reason["passed"] is False
        and "50 of 100 thesis weight is scored" in confidence_reason["text"]
    )


def test_far_below_the_threshold_the_box_says_decline_and_why(evidence: list) -> None:
    strict = {"thesisType": "digital-transformation", "threshold": 100}
    written = write_report(sample_scan(custom=strict), evidence)
    recommendation = written.content["executive_summary"]["recommendation"]
    score = written.score
    assert score is not None and score < 90
    assert recommendation["decision"] == "Decline" and recommendation["conditions"] == []
    assert recommendation["because"] == "the total is more than 10 points below the threshold"
    assert (
        f"is {100 - score} points below the threshold 100, beyond the 10-point margin: Decline"
        in (recommendation["reasons"][0]["text"])
    )
    markdown = render.render_markdown(written.content)
    assert (
        "**Recommendation: Decline** because the total is more than 10 points below the threshold."
        in markdown
    )
    assert audit.markdown_problems(markdown, written.content, written.citations) == []


def test_no_reasons_and_no_conditions_without_a_decision() -> None:
    recommendation = write_report(sample_scan(), sample_evidence()[:15]).content["executive_summary"][
        "recommendation"
    ]
    assert recommendation["decision"] is None and recommendation["because"] is None
    assert recommendation["reasons"] == [] and recommendation["conditions"] == []
