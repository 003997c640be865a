"""The typed report model: it reads every report the builder writes and every stored report, and gives the JSON back."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from techscaniq.report import render
from techscaniq.report.content import Narrative, NarrativeStatement, build_report
from techscaniq.report.model import SCHEMA_VERSION, FindingStatement, Report, cited_nodes
from techscaniq.theses import THESES
from tests.support.report_samples import sample_evidence, sample_scan

# Reports written by the builder before the model existed (one per shape: conditions, LLM prose and metadata,
# fallback writer with insufficient evidence, no evidence at all).
STORED = Path(__file__).parent / "report_samples" / "stored_v1.json"


def _round_trip(content: dict[str, Any]) -> dict[str, Any]:
    return Report.model_validate(content).model_dump(mode="json")


def _finding_statements(content: dict[str, Any]) -> list[dict[str, Any]]:
    return [node for node in _walk(content) if "rule" in node and "rule_name" in node]


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def _built_shapes() -> dict[str, dict[str, Any]]:
    evidence = sample_evidence(60)
    broken = [
        replace(e, data={**e.data, "verified": False, "verify_failure": "certificate has expired"})
        if e.type == "tls_certificate"
        else e
        for e in evidence
    ]
    tech = [e.id for e in evidence if e.type == "technology"][:2]
    narrative = Narrative(
        summary=(NarrativeStatement("The stack is modern.", tuple(tech)),),
        areas={"technology-modernity": (NarrativeStatement("It serves pages from a CDN.", tuple(tech[:1])),)},
        next_steps=("Ask for the SBOM.",),
    )
    llm = build_report(
        sample_scan(),
        evidence,
        writer={"kind": "llm", "provider": "anthropic", "model": "claude-x"},
        narrative=narrative,
    )
    llm.report.metadata.llm = {"provider": "anthropic", "attempts": [{"outcome": "ok"}], "fallback": False}
    shapes = {
        "conditions": build_report(sample_scan(), broken).content,
        "llm": llm.content,
        "fallback": build_report(
            sample_scan(),
            evidence[:15],
            writer={"kind": "deterministic", "fallback_from": "openai", "fallback_reason": "timed out"},
        ).content,
        "empty": build_report(sample_scan(), []).content,
    }
    for slug in sorted(THESES):
        shapes[slug] = build_report(sample_scan(slug), evidence).content
    return shapes


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return _built_shapes()


def test_built_reports_round_trip_exactly(built: dict[str, dict[str, Any]]) -> None:
    for name, content in built.items():
        again = _round_trip(content)
        assert again == content, name
        # Same keys in the same order: the served bytes do not change.
        assert json.dumps(again) == json.dumps(content), name


def test_the_shapes_cover_every_variant(built: dict[str, dict[str, Any]]) -> None:
    llm = built["llm"]
    assert llm["header"]["writer"] == {"kind": "llm", "provider": "anthropic", "model": "claude-x"}
    assert llm["executive_summary"]["narrative"][0]["writer"] == "llm"
    assert "llm" in llm["metadata"] and "llm" not in built["conditions"]["metadata"]
    conditions = built["conditions"]["executive_summary"]["recommendation"]["conditions"]
    assert {c.get("kind") for c in conditions} == {None, "data-room"}
    assert built["fallback"]["header"]["writer"]["fallback_from"] == "openai"
    assert built["empty"]["scores"]["total"]["score"] is None


def test_stored_reports_of_the_first_shape_still_load_and_serve_unchanged() -> None:
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    assert set(stored) == {"conditions", "llm", "fallback-insufficient", "empty"}
    for name, content in stored.items():
        report = Report.model_validate(content)
        assert report.schema_version == SCHEMA_VERSION
        assert json.dumps(report.model_dump(mode="json")) == json.dumps(content), name
        # Findings written before finding ids existed load without one and serve without one.
        assert all("id" not in f for f in _finding_statements(content))


def _stored_inputs() -> dict[str, Any]:
    """The reports of stored_v1.json built again by today's builder, from the same inputs."""
    evidence = sample_evidence(40)
    broken = [
        replace(e, data={**e.data, "verified": False, "verify_failure": "certificate has expired"})
        if e.type == "tls_certificate"
        else e
        for e in evidence
    ]
    tech = [e.id for e in evidence if e.type == "technology"][:2]
    narrative = Narrative(
        summary=(NarrativeStatement("The stack is modern.", tuple(tech)),),
        areas={"technology-modernity": (NarrativeStatement("Uses a CDN.", tuple(tech[:1])),)},
        next_steps=("Ask for the SBOM.",),
    )
    llm = build_report(
        sample_scan("buy-and-build"),
        evidence,
        writer={"kind": "llm", "provider": "anthropic", "model": "claude-x"},
        narrative=narrative,
    )
    llm.report.metadata.llm = {
        "provider": "anthropic",
        "model": "claude-x",
        "attempts": [{"outcome": "ok"}],
        "fallback": False,
    }
    fallback = build_report(
        sample_scan(),
        evidence[:15],
        writer={"kind": "deterministic", "fallback_from": "openai", "fallback_reason": "timeout"},
    )
    fallback.report.metadata.llm = {"provider": "openai", "fallback": True}
    return {
        "conditions": build_report(sample_scan(), broken).content,
        "llm": llm.content,
        "fallback-insufficient": fallback.content,
        "empty": build_report(sample_scan(), []).content,
    }


def _without_finding_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _without_finding_ids(v) for k, v in node.items() if not (k == "id" and "rule_name" in node)
        }
    if isinstance(node, list):
        return [_without_finding_ids(v) for v in node]
    return node


def test_todays_builder_writes_the_stored_json_plus_finding_ids_only() -> None:
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    for name, content in _stored_inputs().items():
        assert json.dumps(_without_finding_ids(content)) == json.dumps(stored[name]), name


def test_a_report_stored_before_the_recommendation_said_why_still_loads_and_renders() -> None:
    content = json.loads(STORED.read_text(encoding="utf-8"))["conditions"]
    recommendation = content["executive_summary"]["recommendation"]
    del recommendation["because"], recommendation["reasons"]
    report = Report.model_validate(content)
    assert report.executive_summary.recommendation.reasons == []
    assert json.dumps(report.model_dump(mode="json")) == json.dumps(content)
    assert f"**Recommendation: {recommendation['decision']}**" in render.render_markdown(report)


def test_a_key_the_model_does_not_know_is_refused() -> None:
    content = json.loads(STORED.read_text(encoding="utf-8"))["empty"]
    content["scores"]["total"]["surprise"] = 1
    with pytest.raises(ValidationError):
        Report.model_validate(content)


def test_findings_and_criteria_have_stable_ids(built: dict[str, dict[str, Any]]) -> None:
    content = built["conditions"]
    findings = _finding_statements(content)
    assert findings and all(f["id"] for f in findings)
    # One id per finding, the same wherever the finding is shown.
    by_cite: dict[int, set[str]] = {}
    for f in findings:
        by_cite.setdefault(f["cite"], set()).add(f["id"])
    assert all(len(ids) == 1 for ids in by_cite.values())
    assert len({f["id"] for f in findings}) == len(by_cite)
    assert all(c["id"] for c in content["scores"]["criteria"])
    # The same evidence in another order gives the same ids.
    evidence = sample_evidence(60)
    forward = {f["id"] for f in _finding_statements(build_report(sample_scan(), evidence).content)}
    backward = {f["id"] for f in _finding_statements(build_report(sample_scan(), evidence[::-1]).content)}
    assert forward == backward


def test_cited_nodes_walk_the_model_in_document_order(built: dict[str, dict[str, Any]]) -> None:
    report = Report.model_validate(built["llm"])
    numbers = [
        n.cite if isinstance(getattr(n, "cite", None), int) else n.cites[0] for n in cited_nodes(report)
    ]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert any(isinstance(n, FindingStatement) for n in cited_nodes(report))
