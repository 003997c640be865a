"""A published version and a "What changed" section are part of the typed report: they round-trip and render."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from techscaniq.domain import Report as StoredReport
from techscaniq.report import render
from techscaniq.report.content import build_report
from techscaniq.report.model import Report, WhatChanged
from techscaniq.storage.reviews import Review
from techscaniq.workflow import diff, judgement
from techscaniq.workflow.service import _as_stored
from techscaniq.workflow.snapshot import snapshot
from tests.support.report_samples import sample_evidence, sample_scan

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _stored(scan_id: str, content: dict[str, Any]) -> StoredReport:
    return StoredReport(
        id=f"r-{scan_id}", scan_id=scan_id, version=1, content=content, writer="deterministic", created_at=AT,
        score=None, grade=None,
    )  # fmt: skip


def _review(kind: str, target: str, verdict: str, score: int | None = None) -> Review:
    return Review(
        id=f"rv-{target}", report_id="r", scan_id="s", key_id="k", key_label="Jane Analyst", target_kind=kind,
        target_id=target, verdict=verdict, comment="checked by hand", score=score, created_at=AT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def content() -> dict[str, Any]:
    return build_report(sample_scan(), sample_evidence(60)).content


def test_a_published_version_round_trips_and_says_so_first(content: dict[str, Any]) -> None:
    negative = next(f for f in judgement.finding_nodes(content) if f["points"] < 0)
    criterion = content["scores"]["criteria"][0]["id"]
    reviews = [
        _review("finding", negative["id"], "disputed"),
        _review("criterion", criterion, "note", score=12),
    ]
    source = {"published_from_report_id": "r", "published_from_version": 1, "published_by": "Jane Analyst",
              "published_at": AT.isoformat()}  # fmt: skip
    published = judgement.publish(content, reviews, source=source).content
    model = Report.model_validate(published)
    assert model.analyst_judgement is not None and model.header.analyst_judgement is True
    stored = model.to_json()  # what the service stores: the model's key order
    assert stored == published
    assert json.dumps(Report.model_validate(stored).to_json()) == json.dumps(stored)
    statement = model.analyst_judgement.statement
    markdown = render.render_markdown(published)
    assert statement in markdown.split("## 1. Executive summary")[0]
    assert 'id="analyst-judgement"' in render.render_html(published)
    # The machine's version still leaves the new keys out.
    assert "analyst_judgement" not in Report.model_validate(content).to_json()


def test_what_changed_round_trips_and_renders_before_the_summary(content: dict[str, Any]) -> None:
    old_scan, new_scan = sample_scan(), replace(sample_scan(), id="scan-new")
    evidence = sample_evidence(60)
    old = snapshot(old_scan, evidence, _stored(old_scan.id, content))
    fewer = [e for e in evidence if e.type != "technology"] + [e for e in evidence if e.type == "technology"][
        1:
    ]
    new_content = build_report(new_scan, fewer).content
    section = WhatChanged.model_validate(
        _as_stored(diff.diff(old, snapshot(new_scan, fewer, _stored("n", new_content))))
    )
    assert section.summary["changed"] is True
    with_section = {**new_content, "what_changed": section.to_json()}
    assert json.dumps(Report.model_validate(with_section).to_json()) == json.dumps(with_section)
    head = render.render_markdown(with_section).split("## 1. Executive summary")[0]
    assert "What changed since" in head
    assert 'id="what-changed"' in render.render_html(with_section)
