"""The whole path: POST /api/scans → Celery chain on two queues with real workers → stored report."""

from __future__ import annotations

import time
from typing import Any

import pytest

from techscaniq.celery_app import celery_app
from techscaniq.domain import StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.conftest import Stack
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration
SCAN_TIMEOUT_SECONDS = 90


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def submit(stack: Stack, url: str, key: str | None = None, **fields: Any) -> str:
    body = {"company_name": "Acme Analytics", "website_url": url, **fields}
    response = stack.client.post("/api/scans", json=body, headers=_headers(key or stack.admin_key))  # type: ignore[attr-defined]
    assert response.status_code == 201, response.get_json()
    payload = response.get_json()
    assert payload["success"] is True
    assert set(payload["jobs"]) == {"evidenceJobId", "reportJobId"}
    return str(payload["scanRequestId"])


def status(stack: Stack, scan_id: str, key: str | None = None) -> Any:
    response = stack.client.get(f"/api/scans/{scan_id}/status", headers=_headers(key or stack.admin_key))  # type: ignore[attr-defined]
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wait_until(stack: Stack, scan_id: str, wanted: set[str], *, on_poll: Any = None) -> Any:
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        current = status(stack, scan_id)
        if on_poll:
            on_poll(current)
        if current["scanRequest"]["status"] in wanted:
            return current
        time.sleep(0.1)
    raise AssertionError(
        f"scan {scan_id} not {wanted}: {current}\n--- evidence worker ---\n{stack.evidence_worker.log()[-4000:]}"
        f"\n--- report worker ---\n{stack.report_worker.log()[-2000:]}"
    )


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
        f"/api/scans/{scan_id}/evidence?per_page=500", headers=_headers(stack.admin_key)
    )  # type: ignore[attr-defined]
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
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        scan = repo.get_scan(session, scan_id)
    evidence_meta = celery_app.backend.get_task_meta(scan.steps[StepName.EVIDENCE].task_id)
    report_meta = celery_app.backend.get_task_meta(scan.steps[StepName.REPORT].task_id)
    assert evidence_meta["status"] == report_meta["status"] == "SUCCESS"
    assert evidence_meta["worker"].startswith("evidence-")
    assert evidence_meta["queue"] == "evidence"
    assert report_meta["worker"].startswith("reports-")
    assert report_meta["queue"] == "reports"

    fetched = stack.client.get(
        f"/api/reports/{report['reportId']}", headers=_headers(stack.admin_key)
    ).get_json()  # type: ignore[attr-defined]
    known = {item["id"] for item in items["items"]}
    cited = list(_evidence_id_lists(fetched["content"]))
    assert cited and all(ids and set(ids) <= known for ids in cited)
    assert {c["evidence_id"] for c in fetched["citations"]} <= known
    latest = stack.client.get(f"/api/scans/{scan_id}/report", headers=_headers(stack.admin_key)).get_json()  # type: ignore[attr-defined]
    assert latest["id"] == report["reportId"]


def test_cancel_of_a_running_scan(stack: Stack) -> None:
    with LoopbackSite(home_delay_seconds=4) as site:
        scan_id = submit(stack, site.url)
        deadline = time.monotonic() + 30
        while status(stack, scan_id)["progress"]["evidenceCollection"]["status"] != "active":
            assert time.monotonic() < deadline, status(stack, scan_id)
            time.sleep(0.05)
        response = stack.client.post(f"/api/scans/{scan_id}/cancel", headers=_headers(stack.admin_key))  # type: ignore[attr-defined]
        assert response.status_code == 202
        final = wait_until(stack, scan_id, {"cancelled", "completed", "failed"})
    assert final["scanRequest"]["status"] == "cancelled"
    assert final["progress"]["reportGeneration"]["status"] == "skipped"
    again = stack.client.post(f"/api/scans/{scan_id}/cancel", headers=_headers(stack.admin_key))  # type: ignore[attr-defined]
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "scan_not_running"


def test_another_organisation_gets_404(stack: Stack) -> None:
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        _, key_a = repo.create_api_key(session, "Firm A", label=None, is_admin=False)
        _, key_b = repo.create_api_key(session, "Firm B", label=None, is_admin=False)
    with LoopbackSite() as site:
        scan_id = submit(stack, site.url, key=key_a, organization_name="Firm A")
        wait_until(stack, scan_id, {"completed", "failed"})
    for path in (f"/api/scans/{scan_id}", f"/api/scans/{scan_id}/status", f"/api/scans/{scan_id}/evidence",
                 f"/api/scans/{scan_id}/report"):  # fmt: skip
        response = stack.client.get(path, headers=_headers(key_b))  # type: ignore[attr-defined]
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert stack.client.post(f"/api/scans/{scan_id}/cancel", headers=_headers(key_b)).status_code == 404  # type: ignore[attr-defined]
    own = stack.client.get("/api/scans", headers=_headers(key_a)).get_json()  # type: ignore[attr-defined]
    other = stack.client.get("/api/scans", headers=_headers(key_b)).get_json()  # type: ignore[attr-defined]
    assert [item["id"] for item in own["items"]] == [scan_id]
    assert other["items"] == [] and other["total"] == 0
    assert stack.client.get(f"/api/scans/{scan_id}", headers=_headers(key_a)).status_code == 200  # type: ignore[attr-defined]


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
            f"/api/scans/{scan_id}/retry", json={"jobType": "sideways"}, headers=_headers(stack.admin_key)
        )  # type: ignore[attr-defined]
        assert running.status_code == 400
        response = stack.client.post(
            f"/api/scans/{scan_id}/retry", json={"jobType": "report"}, headers=_headers(stack.admin_key)
        )  # type: ignore[attr-defined]
        assert response.status_code == 202
        assert response.get_json()["jobs"]["reportJobId"].endswith(".report.2")
        second = wait_until(stack, scan_id, {"completed", "failed"})
        assert (
            second["progress"]["reportGeneration"]["reportId"]
            != first["progress"]["reportGeneration"]["reportId"]
        )
        both = stack.client.post(
            f"/api/scans/{scan_id}/retry", json={"jobType": "both"}, headers=_headers(stack.admin_key)
        )  # type: ignore[attr-defined]
        assert both.status_code == 202
        third = wait_until(stack, scan_id, {"completed", "failed"})
    assert third["scanRequest"]["status"] == "completed"
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        assert repo.count_reports(session, scan_id) == 3
