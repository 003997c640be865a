"""The whole path: POST /api/scans → Celery chain on two queues with real workers → stored report."""

from __future__ import annotations

import time
from typing import Any

import pytest

from techscaniq.celery_app import celery_app
from techscaniq.domain import StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import auth_headers, status, submit, wait_until
from tests.support.sites import LoopbackSite
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def _evidence_id_lists(node: Any) -> Any:
    """Every `evidence_ids` list anywhere in a report's JSON."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "evidence_ids":
                yield value
            else:
                yield from _evidence_id_lists(value)
    elif isinstance(node, list):
        for value in node:
            yield from _evidence_id_lists(value)


def test_a_scan_runs_through_both_queues_to_a_report(stack: Stack) -> None:
    with LoopbackSite(home_delay_seconds=0.5) as site:
        scan_id = submit(stack, site.url, primary_criteria="buy-and-build")
        seen: list[Any] = []
        final = wait_until(stack, scan_id, {"completed", "failed"}, on_poll=seen.append)
    assert final["scanRequest"]["status"] == "completed", final
    statuses = [poll["scanRequest"]["status"] for poll in seen]
    assert statuses[0] in {"pending", "processing"}
    assert "processing" in statuses
    order = {"pending": 0, "processing": 1, "completed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    progress = [poll["progress"]["evidenceCollection"]["progress"] for poll in seen]
    assert progress == sorted(progress)
    evidence = final["progress"]["evidenceCollection"]
    report = final["progress"]["reportGeneration"]
    assert evidence["status"] == report["status"] == "completed"
    assert report["reportId"]

    listing = stack.client.get(
        f"/api/scans/{scan_id}/evidence?per_page=500", headers=auth_headers(stack.admin_key)
    )
    items = listing.get_json()
    assert items["total"] == evidence["itemsCollected"] == len(items["items"]) > 5
    for item in items["items"]:
        assert {
            "id",
            "type",
            "category",
            "title",
            "summary",
            "data",
            "source_url",
            "confidence",
            "collected_at",
        } <= set(item)
        assert 0 <= item["confidence"] <= 1

    # Which worker ran each step, from the result backend's extended result, not from configuration.
    with session_scope(stack.settings) as session:
        scan = repo.get_scan(session, scan_id)
    evidence_meta = celery_app.backend.get_task_meta(scan.steps[StepName.EVIDENCE].task_id)
    report_meta = celery_app.backend.get_task_meta(scan.steps[StepName.REPORT].task_id)
    assert evidence_meta["status"] == report_meta["status"] == "SUCCESS"
    assert evidence_meta["worker"].startswith("evidence-")
    assert evidence_meta["queue"] == "evidence"
    assert report_meta["worker"].startswith("reports-")
    assert report_meta["queue"] == "reports"

    fetched = stack.client.get(
        f"/api/reports/{report['reportId']}", headers=auth_headers(stack.admin_key)
    ).get_json()
    known = {item["id"] for item in items["items"]}
    cited = list(_evidence_id_lists(fetched["content"]))
    assert cited and all(ids and set(ids) <= known for ids in cited)
    assert {c["evidence_id"] for c in fetched["citations"]} <= known
    latest = stack.client.get(
        f"/api/scans/{scan_id}/report", headers=auth_headers(stack.admin_key)
    ).get_json()
    assert latest["id"] == report["reportId"]


def test_cancel_of_a_running_scan(stack: Stack) -> None:
    with LoopbackSite(home_delay_seconds=4) as site:
        scan_id = submit(stack, site.url)
        deadline = time.monotonic() + 30
        while status(stack, scan_id)["progress"]["evidenceCollection"]["status"] != "active":
            assert time.monotonic() < deadline, status(stack, scan_id)
            time.sleep(0.05)
        response = stack.client.post(f"/api/scans/{scan_id}/cancel", headers=auth_headers(stack.admin_key))
        assert response.status_code == 202
        final = wait_until(stack, scan_id, {"cancelled", "completed", "failed"})
    assert final["scanRequest"]["status"] == "cancelled"
    assert final["progress"]["reportGeneration"]["status"] == "skipped"
    again = stack.client.post(f"/api/scans/{scan_id}/cancel", headers=auth_headers(stack.admin_key))
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "scan_not_running"


def test_another_organisation_gets_404(stack: Stack) -> None:
    with session_scope(stack.settings) as session:
        _, key_a = repo.create_api_key(session, "Firm A", label=None, is_admin=False)
        _, key_b = repo.create_api_key(session, "Firm B", label=None, is_admin=False)
    with LoopbackSite() as site:
        scan_id = submit(stack, site.url, key=key_a, organization_name="Firm A")
        wait_until(stack, scan_id, {"completed", "failed"})
    for path in (f"/api/scans/{scan_id}", f"/api/scans/{scan_id}/status", f"/api/scans/{scan_id}/evidence",
                 f"/api/scans/{scan_id}/report"):  # fmt: skip
        response = stack.client.get(path, headers=auth_headers(key_b))
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert stack.client.post(f"/api/scans/{scan_id}/cancel", headers=auth_headers(key_b)).status_code == 404
    own = stack.client.get("/api/scans", headers=auth_headers(key_a)).get_json()
    other = stack.client.get("/api/scans", headers=auth_headers(key_b)).get_json()
    assert [item["id"] for item in own["items"]] == [scan_id]
    assert other["items"] == [] and other["total"] == 0
    assert stack.client.get(f"/api/scans/{scan_id}", headers=auth_headers(key_a)).status_code == 200


def test_a_non_retryable_error_fails_the_scan_and_skips_the_report(
    stack: Stack, fixture_dns: Any, tripwire: Any
) -> None:
    # A public-looking name whose DNS answer is a forbidden loopback address outside the allow-list.
    fixture_dns.set_records("intranet.acme-analytics.com", "A", [tripwire.host])
    scan_id = submit(stack, f"http://intranet.acme-analytics.com:{tripwire.port}/")
    final = wait_until(stack, scan_id, {"completed", "failed"})
    assert final["scanRequest"]["status"] == "failed"
    assert final["scanRequest"]["error"]["code"] == "ssrf_blocked_address"
    assert final["progress"]["evidenceCollection"]["status"] == "failed"
    assert final["progress"]["reportGeneration"]["status"] == "skipped"
    assert tripwire.connections == []


def test_retry_makes_a_new_report_version_and_keeps_the_old(stack: Stack) -> None:
    with LoopbackSite() as site:
        scan_id = submit(stack, site.url)
        first = wait_until(stack, scan_id, {"completed", "failed"})
        assert first["scanRequest"]["status"] == "completed"
        running = stack.client.post(
            f"/api/scans/{scan_id}/retry", json={"jobType": "sideways"}, headers=auth_headers(stack.admin_key)
        )
        assert running.status_code == 400
        response = stack.client.post(
            f"/api/scans/{scan_id}/retry", json={"jobType": "report"}, headers=auth_headers(stack.admin_key)
        )
        assert response.status_code == 202
        assert response.get_json()["jobs"]["reportJobId"].endswith(".report.2")
        second = wait_until(stack, scan_id, {"completed", "failed"})
        assert (
            second["progress"]["reportGeneration"]["reportId"]
            != first["progress"]["reportGeneration"]["reportId"]
        )
        both = stack.client.post(
            f"/api/scans/{scan_id}/retry", json={"jobType": "both"}, headers=auth_headers(stack.admin_key)
        )
        assert both.status_code == 202
        third = wait_until(stack, scan_id, {"completed", "failed"})
    assert third["scanRequest"]["status"] == "completed"
    with session_scope(stack.settings) as session:
        assert repo.count_reports(session, scan_id) == 3
