"""GET /api/scans/<id>/diff and GET /api/compare for two completed scans of 3,000 evidence items each (p50, p95)."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import median, percentile, write_table

ITEMS_PER_SCAN = 3_000
FINDINGS_PER_REPORT = 150
REQUESTS = 60


def _drafts(variant: int) -> list[Any]:
    from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType

    drafts = []
    for n in range(ITEMS_PER_SCAN):
        if n % 3 == 0:
            name = f"Tech {n + variant * 30}"  # one in ten differs between the scans
            type_, data = (
                EvidenceType.TECHNOLOGY,
                {"name": name, "version": f"{n % 7}.{variant}", "categories": ["Cat"]},
            )
        elif n % 3 == 1:
            type_, data = (
                EvidenceType.SECURITY_HEADER,
                {
                    "host": f"h{n}.example",
                    "header": "X-Frame-Options",
                    "presence": "present" if (n + variant) % 11 else "absent",
                },
            )
        else:
            type_, data = EvidenceType.PAGE, {"url": f"https://example.com/{n}"}
        drafts.append(EvidenceDraft(type=type_, category=EvidenceCategory.TECHNOLOGY, title=f"item {n}", summary="",
                                    data=data, source_url="https://example.com/", collector="bench", confidence=1.0,
                                    dedup_key=f"k{n}"))  # fmt: skip
    return drafts


def _content(evidence_ids: list[str], variant: int) -> dict[str, Any]:
    findings = [
        {"id": f"rule-{n + variant * 10}", "rule": f"rule-{n + variant * 10}", "rule_name": f"Rule {n}", "text": f"f{n}",
         "cite": n + 1, "evidence_ids": evidence_ids[n : n + 3], "points": 2, "impact": "negative"}
        for n in range(FINDINGS_PER_REPORT)
    ]  # fmt: skip
    criteria = [{"id": f"c{n}", "name": f"C{n}", "basis": f"c{n}", "weight": 10, "score": 50 + n + variant,
                 "findings": findings[n * 10 : n * 10 + 10]} for n in range(10)]  # fmt: skip
    return {
        "findings_by_area": [{"id": "area", "findings": findings}],
        "scores": {"criteria": criteria, "total": {"score": 60 + variant, "grade": "C"}, "categories": []},
        "risk_register": [
            {
                "title": f"Risk {n + variant}",
                "description": findings[n],
                "evidence_ids": findings[n]["evidence_ids"],
            }
            for n in range(40)
        ],
        "confidence": {"coverage_confidence": 80},
        "executive_summary": {"recommendation": {"decision": "Proceed"}},
    }


def main() -> None:
    """Store two scans, then time each endpoint through the Flask app (in-process, SQLite)."""
    directory = Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.db'}"
    os.environ["TECHSCANIQ_DATA_DIR"] = str(directory)
    from techscaniq.app import create_app
    from techscaniq.config import Settings
    from techscaniq.domain import ScanStatus, StepName
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope
    from techscaniq.workflow.service import attach_new_scan

    settings = Settings.from_env()
    migrate(settings)
    ids = []
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Bench Fund", label="bench", is_admin=False)
        org_id = repo.find_api_key(session, key).org_id  # type: ignore[union-attr]
        for variant in range(2):
            scan_id = str(uuid.uuid4())
            repo.create_scan(session, scan_id=scan_id, org_id=org_id, created_by_key_id=None, company_name="Bench",
                             website_url="https://example.com/", primary_criteria="buy-and-build", thesis={},
                             thesis_tags=[], requestor_name=None, organization_name=None, company_description=None,
                             metadata={}, task_ids={s: f"{scan_id}.{s}.1" for s in StepName})  # fmt: skip
            attach_new_scan(
                session,
                scan_id=scan_id,
                org_id=org_id,
                website_url="https://example.com/",
                company_name="Bench",
            )
            stored = repo.add_evidence(session, scan_id, _drafts(variant))
            repo.save_report(session, scan_id, content=_content([e.id for e in stored], variant), writer="bench",
                             score=60, grade="C", report_citations=[])  # fmt: skip
            repo.set_scan_status(session, scan_id, ScanStatus.COMPLETED)
            ids.append(scan_id)
            time.sleep(0.01)
    client = create_app(settings).test_client()
    headers = {"Authorization": f"Bearer {key}"}
    endpoints = {
        "GET /api/scans/<id>/diff": f"/api/scans/{ids[1]}/diff",
        "GET /api/compare?scans=a,b": f"/api/compare?scans={ids[0]},{ids[1]}",
    }
    rows = []
    for name, path in endpoints.items():
        assert client.get(path, headers=headers).status_code == 200
        latencies = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
        rows.append([name, REQUESTS, f"{median(latencies):.1f}", f"{percentile(latencies, 0.95):.1f}"])
    write_table(
        "workflow",
        f"Diff and compare of two completed scans of {ITEMS_PER_SCAN:,} evidence items each (SQLite, in-process app)",
        ["endpoint", "requests", "p50 ms", "p95 ms"],
        rows,
        notes=f"Each report has {FINDINGS_PER_REPORT} findings, 10 criteria and 40 risks; one request at a time.",
    )


if __name__ == "__main__":
    main()
