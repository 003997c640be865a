"""The one report view: what the Markdown, HTML, PDF and web renderers read, from a typed report or stored JSON."""

from __future__ import annotations

import json
from pathlib import Path

from techscaniq.report import render
from techscaniq.report.model import Report
from techscaniq.report.view import Marker, report_view
from techscaniq.report.writer import write_report
from tests.support.report_samples import sample_evidence, sample_scan

STORED = Path(__file__).parent / "report_samples" / "stored_v1.json"


def _stored(name: str) -> dict:
    return json.loads(STORED.read_text(encoding="utf-8"))[name]


def test_the_json_the_typed_report_and_the_view_render_alike() -> None:
    content = _stored("llm")
    view = report_view(content)
    report = Report.model_validate(content)
    assert render.render_markdown(content) == render.render_markdown(report) == render.render_markdown(view)
    assert render.render_html(content) == render.render_html(view)


def test_writer_labels() -> None:
    assert report_view(_stored("llm")).writer_label == "LLM (anthropic, claude-x)"
    assert report_view(_stored("llm")).writer_name == "llm · anthropic · claude-x"
    fallback = report_view(_stored("fallback-insufficient"))
    assert fallback.writer_label == "deterministic (fallback: the openai LLM writer failed: timeout)"
    assert fallback.writer_name == "deterministic"


def test_markers_open_the_evidence_of_their_reference() -> None:
    view = report_view(_stored("conditions"))
    references = {r.number: r.evidence_ids for r in view.report.references}
    finding = view.summary.upsides[0]
    assert view.markers(finding) == [Marker(finding.cite, references[finding.cite])]
    total_reason = view.recommendation.reasons[0]
    assert [m.number for m in view.markers(total_reason)] == list(dict.fromkeys(total_reason.cites or []))
    data_room = [c for c in view.recommendation.conditions if view.is_data_room(c)]
    assert data_room and all(view.markers(c) == [] for c in data_room)


def test_charts_and_roadmap_come_from_the_typed_scores() -> None:
    view = report_view(_stored("conditions"))
    criteria = view.report.scores.criteria
    assert [(b.label, b.value, b.weight) for b in view.criterion_bars] == [
        (c.name, c.score, c.weight) for c in criteria
    ]
    assert [b.note for b in view.category_bars] == [c.grade or "" for c in view.report.scores.categories]
    assert all(items for _, items in view.roadmap_in_use)


def test_evidence_rows_carry_the_numbers_that_cite_them() -> None:
    evidence = sample_evidence(40)
    written = write_report(sample_scan(), evidence)
    view = report_view(written.content, evidence)
    cited = {c.evidence_id: set() for c in written.citations}
    for c in written.citations:
        cited[c.evidence_id].add(c.number)
    assert len(view.evidence) == len(evidence)
    for row in view.evidence:
        assert set(row["numbers"]) == cited.get(row["id"], set())
    # Cited items first, in the order of their first citation.
    firsts = [min(row["numbers"]) for row in view.evidence if row["numbers"]]
    assert firsts == sorted(firsts)
