"""Every stock criterion of every stock thesis is scored on the fixture company, and moves when the planted
evidence behind it is removed (issue 5). The evidence comes from one real, in-process scan of the fixture site."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.domain import Evidence
from techscaniq.report import render
from techscaniq.report.model import Report
from techscaniq.report.scoring import BASE_SCORE, MAX_SCORE, MIN_SCORE
from techscaniq.report.writer import write_report
from techscaniq.theses import get_thesis, list_theses, resolve_thesis
from tests.support.fixture_scan import FixtureScan, scan_fixture_company

pytestmark = pytest.mark.integration

STOCK_THESES = [thesis.slug for thesis in list_theses()]


@pytest.fixture(scope="module")
def company(fixture_dns: LoopbackDNSServer, tmp_path_factory: pytest.TempPathFactory) -> FixtureScan:
    directory: Path = tmp_path_factory.mktemp("criterion-sensitivity")
    return scan_fixture_company(fixture_dns, directory, domain="northwind-criteria.test")


def _report(company: FixtureScan, slug: str, evidence: Sequence[Evidence]) -> dict[str, Any]:
    snapshot = resolve_thesis(slug, None, None).to_dict()
    return write_report(replace(company.scan, primary_criteria=slug, thesis=snapshot), evidence).content


def _criterion(content: dict[str, Any], criterion_id: str) -> dict[str, Any]:
    return next(c for c in content["scores"]["criteria"] if c["id"] == criterion_id)


def _without(evidence: Sequence[Evidence], ids: set[str]) -> list[Evidence]:
    return [item for item in evidence if item.id not in ids]


def _raw(entry: dict[str, Any]) -> int:
    """The criterion's score before clamping: the base plus the points of its findings."""
    return BASE_SCORE + sum(f["points"] for f in entry["findings"])


def _saturated(raw: int) -> bool:
    return not MIN_SCORE <= raw <= MAX_SCORE


def test_the_fixture_scan_is_a_real_one(company: FixtureScan) -> None:
    types = {item.type for item in company.evidence}
    assert len(company.evidence) >= 200
    assert {"technology", "hosting", "observatory_score", "spf", "dmarc", "openapi", "job_posting"} <= types
    assert all(item.scan_id == company.scan.id for item in company.evidence)


@pytest.mark.parametrize("slug", STOCK_THESES)
def test_the_report_of_the_real_scan_round_trips_through_the_typed_model(
    company: FixtureScan, slug: str
) -> None:
    content = _report(company, slug, company.evidence)
    report = Report.model_validate(content)
    assert report.model_dump(mode="json") == content
    assert json.dumps(report.model_dump(mode="json")) == json.dumps(content)
    assert render.render_markdown(report) == render.render_markdown(content)


@pytest.mark.parametrize("slug", STOCK_THESES)
def test_every_stock_criterion_is_scored_and_changes_without_its_evidence(
    company: FixtureScan, slug: str
) -> None:
    content = _report(company, slug, company.evidence)
    assert content["assessment"]["status"] == "scored", content["assessment"]
    problems = []
    for criterion in get_thesis(slug).criteria:
        entry = _criterion(content, criterion.id)
        if entry["score"] is None:
            problems.append(f"{criterion.id}: not scored")
            continue
        if not any(f["points"] for f in entry["findings"]):
            # Neutral findings alone leave the base score whatever was observed: that is not a judgement.
            problems.append(f"{criterion.id}: {entry['score']} comes from neutral findings only")
        cited = {i for f in entry["findings"] for i in f["evidence_ids"]}
        after = _criterion(_report(company, slug, _without(company.evidence, cited)), criterion.id)
        if after["score"] == entry["score"]:
            problems.append(
                f"{criterion.id}: {entry['score']} unchanged without its {len(cited)} cited items"
            )
    assert problems == []


@pytest.mark.parametrize("slug", STOCK_THESES)
def test_each_point_carrying_finding_moves_its_criterion(company: FixtureScan, slug: str) -> None:
    """Finer: removing the evidence of any one finding that carries points changes the criterion score, unless
    the score sits clamped at 0 or 100 both before and after."""
    content = _report(company, slug, company.evidence)
    problems = []
    for criterion in get_thesis(slug).criteria:
        entry = _criterion(content, criterion.id)
        for finding in (f for f in entry["findings"] if f["points"]):
            after = _criterion(
                _report(company, slug, _without(company.evidence, set(finding["evidence_ids"]))), criterion.id
            )
            moved = after["score"] != entry["score"]
            clamped = _saturated(_raw(entry)) and after["score"] is not None and _saturated(_raw(after))
            if not moved and not (clamped and _raw(after) != _raw(entry)):
                problems.append(f"{criterion.id}: {finding['rule']} ({finding['points']:+d}) does not count")
    assert problems == []


def test_planted_end_of_life_technologies_are_found_and_cost_points(company: FixtureScan) -> None:
    planted = {t["slug"]: t["end_of_life"] for t in company.manifest["technologies"] if t["end_of_life"]}
    assert planted
    flagged = {
        item.data["slug"]: item
        for item in company.evidence
        if item.type == "technology" and item.data.get("end_of_life")
    }
    assert {slug: item.data["eol"]["date"] for slug, item in flagged.items()} == planted
    content = _report(company, "turnaround-distressed", company.evidence)
    entry = _criterion(content, "technical-debt-remediation-scope")
    eol_findings = [f for f in entry["findings"] if f["rule"] == "TEC-03"]
    assert sorted(i for f in eol_findings for i in f["evidence_ids"]) == sorted(
        i.id for i in flagged.values()
    )
    assert all(f["points"] < 0 for f in eol_findings)
