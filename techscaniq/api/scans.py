"""The scans and reports API: submit, status, list, evidence, cancel, reports, health and readiness."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq import pipeline, tasks
from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.validation import json_body, pagination, validate_scan_request
from techscaniq.domain import Report, Scan, ScanStatus, Step, StepName, StepStatus
from techscaniq.errors import BrokerUnavailable, StorageUnavailable, TechScanError
from techscaniq.storage import repo
from techscaniq.storage.db import ping, session_scope

api = Blueprint("api", __name__, url_prefix="/api")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _step_json(step: Step, live: dict[str, Any] | None, *, report_id: str | None = None) -> dict[str, Any]:
    progress, items = step.progress, step.items_collected
    if live and step.status == StepStatus.ACTIVE:
        progress = max(progress, int(live.get("progress", 0)))
        items = max(items, int(live.get("itemsCollected", 0)))
    body: dict[str, Any] = {
        "status": str(step.status),
        "progress": progress,
        "phase": step.phase,
        "taskId": step.task_id,
        "attempt": step.attempt,
        "startedAt": _iso(step.started_at),
        "finishedAt": _iso(step.finished_at),
        "stalled": step.status == StepStatus.ACTIVE
        and step.lease_expires_at is not None
        and step.lease_expires_at < repo.utcnow(),
    }
    if step.error_code:
        body["error"] = {"code": step.error_code, "message": step.error_message}
    if step.name == StepName.EVIDENCE:
        body["itemsCollected"] = items
        pages = step.pages_fetched
        if live and step.status == StepStatus.ACTIVE:
            pages = max(pages, int(live.get("pagesFetched", 0)))
        body["pagesFetched"] = pages
    else:
        body["reportId"] = report_id
    return body


def _scan_summary(scan: Scan, report: Report | None) -> dict[str, Any]:
    return {
        "id": scan.id,
        "company": scan.company_name,
        "website_url": scan.website_url,
        "thesis": scan.primary_criteria,
        "thesis_name": scan.thesis.get("name"),
        "status": str(scan.status),
        "createdAt": _iso(scan.created_at),
        "finishedAt": _iso(scan.finished_at),
        "score": report.score if report else None,
        "grade": report.grade if report else None,
        "reportId": report.id if report else None,
        "error": {"code": scan.error_code, "message": scan.error_message} if scan.error_code else None,
    }


def _scan_detail(scan: Scan, report: Report | None, items: int) -> dict[str, Any]:
    detail = _scan_summary(scan, report)
    detail.update(
        {
            "organization_name": scan.organization_name,
            "requestor_name": scan.requestor_name,
            "company_description": scan.company_description,
            "thesis_tags": scan.thesis_tags,
            "thesis_snapshot": scan.thesis,
            "metadata": scan.metadata,
            "cancelRequestedAt": _iso(scan.cancel_requested_at),
            "itemsCollected": items,
            "steps": {
                str(name): _step_json(step, None, report_id=report.id if report else None)
                for name, step in scan.steps.items()
            },
        }
    )
    return detail


@api.post("/scans")
def submit_scan() -> ResponseReturnValue:
    """Validate, commit the scan row, then send the chain; 503 and no scan left behind when the broker is down."""
    viewer = current_viewer()
    submission = validate_scan_request(json_body(request))
    config = settings()
    scan_id = str(uuid.uuid4())
    task_ids = {step: tasks.task_id_for(scan_id, step, 1) for step in pipeline.STEP_ORDER}
    with session_scope(config) as session:
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=viewer.org_id,
            created_by_key_id=viewer.key_id,
            company_name=submission.company_name,
            website_url=submission.website_url,
            primary_criteria=submission.thesis.slug,
            thesis=submission.thesis.to_dict(),
            thesis_tags=submission.thesis_tags,
            requestor_name=submission.requestor_name,
            organization_name=submission.organization_name,
            company_description=submission.company_description,
            metadata=submission.metadata,
            task_ids=task_ids,
        )
    try:
        tasks.enqueue_steps(config, scan_id, task_ids)
    except BrokerUnavailable:
        with session_scope(config) as session:
            repo.delete_scan(session, scan_id, org_id=None)
        raise
    body = {
        "success": True,
        "scanRequestId": scan_id,
        "jobs": {"evidenceJobId": task_ids[StepName.EVIDENCE], "reportJobId": task_ids[StepName.REPORT]},
    }
    return jsonify(body), 201, {"Location": f"/api/scans/{scan_id}"}


@api.get("/scans")
def list_scans() -> ResponseReturnValue:
    """A page of the caller's scans, newest first."""
    viewer = current_viewer()
    page, per_page = pagination(request)
    status = request.args.get("status") or None
    if status is not None and status not in {str(s) for s in ScanStatus}:
        raise TechScanError(
            f"status must be one of {', '.join(ScanStatus)}",
            code="validation_error",
            http_status=400,
            fields={"status": "unknown status"},
        )
    with session_scope(settings(), write=False) as session:
        rows, total = repo.list_scans(
            session,
            org_id=viewer.scope_org_id,
            page=page,
            per_page=per_page,
            status=status,
            search=(request.args.get("q") or "").strip()[:200] or None,
        )
    items = [_scan_summary(scan, report) for scan, report in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@api.get("/scans/<scan_id>")
def get_scan(scan_id: str) -> ResponseReturnValue:
    """The scan with its steps and errors."""
    viewer = current_viewer()
    with session_scope(settings(), write=False) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report = repo.latest_report(session, scan_id)
        items = repo.count_evidence(session, scan_id)
    return jsonify(_scan_detail(scan, report, items))


@api.get("/scans/<scan_id>/status")
def scan_status(scan_id: str) -> ResponseReturnValue:
    """Durable status from the database, overlaid with the live task state of a running step."""
    viewer = current_viewer()
    with session_scope(settings(), write=False) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report = repo.latest_report(session, scan_id)
    evidence_step = scan.steps[StepName.EVIDENCE]
    report_step = scan.steps[StepName.REPORT]
    live = tasks.live_state(evidence_step.task_id) if evidence_step.status == StepStatus.ACTIVE else None
    body: dict[str, Any] = {
        "scanRequest": {
            "id": scan.id,
            "company": scan.company_name,
            "status": str(scan.status),
            "createdAt": _iso(scan.created_at),
        },
        "progress": {
            "evidenceCollection": _step_json(evidence_step, live),
            "reportGeneration": _step_json(report_step, None, report_id=report.id if report else None),
        },
    }
    if scan.error_code:
        body["scanRequest"]["error"] = {"code": scan.error_code, "message": scan.error_message}
    return jsonify(body)


@api.get("/scans/<scan_id>/evidence")
def scan_evidence(scan_id: str) -> ResponseReturnValue:
    """A page of the scan's evidence items, optionally of one category."""
    viewer = current_viewer()
    page, per_page = pagination(request)
    category = (request.args.get("category") or "").strip() or None
    with session_scope(settings(), write=False) as session:
        repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        items, total = repo.list_evidence(session, scan_id, page=page, per_page=per_page, category=category)
    return jsonify(
        {"items": [item.to_api() for item in items], "page": page, "per_page": per_page, "total": total}
    )


@api.post("/scans/<scan_id>/cancel")
def cancel_scan(scan_id: str) -> ResponseReturnValue:
    """Ask a running scan to stop; one that has not started yet is cancelled at once."""
    viewer = current_viewer()
    config = settings()
    with session_scope(config) as session:
        scan = repo.request_cancel(session, scan_id, org_id=viewer.scope_org_id)
    if all(step.status == StepStatus.WAITING for step in scan.steps.values()):
        pipeline.cancel_scan(config, scan_id)
    with session_scope(config, write=False) as session:
        scan = repo.get_scan(session, scan_id)
    return jsonify({"success": True, "scanRequestId": scan_id, "status": str(scan.status)}), 202


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "scan_id": report.scan_id,
        "version": report.version,
        "writer": report.writer,
        "score": report.score,
        "grade": report.grade,
        "createdAt": _iso(report.created_at),
        "content": report.content,
        "citations": [
            {"number": c.number, "claim": c.claim, "section": c.section, "evidence_id": c.evidence_id}
            for c in report.citations
        ],
    }


@api.get("/reports/<report_id>")
def get_report(report_id: str) -> ResponseReturnValue:
    """A report version as JSON; every statement lists the evidence ids it rests on."""
    viewer = current_viewer()
    with session_scope(settings(), write=False) as session:
        report = repo.get_report(session, report_id, org_id=viewer.scope_org_id)
    return jsonify(_report_json(report))


@api.get("/scans/<scan_id>/report")
def scan_report(scan_id: str) -> ResponseReturnValue:
    """The newest report of a scan."""
    viewer = current_viewer()
    with session_scope(settings(), write=False) as session:
        repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report = repo.latest_report(session, scan_id)
    if report is None:
        raise TechScanError("this scan has no report yet", code="report_not_ready", http_status=404)
    return jsonify(_report_json(report))


@api.get("/health")
def health() -> ResponseReturnValue:
    """The process is alive."""
    return jsonify({"status": "ok"})


@api.get("/ready")
def ready() -> ResponseReturnValue:
    """The database and the broker are reachable; 503 naming what is down."""
    config = settings()
    checks: dict[str, str] = {}
    try:
        ping(config)
        checks["database"] = "ok"
    except (StorageUnavailable, Exception) as error:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"down: {error}"[:300]
    checks["broker"] = "ok" if tasks.broker_reachable() else "down"
    down = [name for name, state in checks.items() if state != "ok"]
    body: dict[str, Any] = {"status": "ready" if not down else "not_ready", "checks": checks}
    if config.allow_networks:
        body["warnings"] = [
            f"TECHSCANIQ_ALLOW_NETWORKS widens fetch safety to {', '.join(config.allow_networks)}"
        ]
    if down:
        body["success"] = False
        body["error"] = {"code": "not_ready", "message": f"unreachable: {', '.join(down)}"}
        return jsonify(body), 503
    return jsonify(body)


RETRY_JOB_TYPES: dict[str, tuple[StepName, ...]] = {
    "evidence": (StepName.EVIDENCE, StepName.REPORT),
    "both": (StepName.EVIDENCE, StepName.REPORT),
    "report": (StepName.REPORT,),
}


@api.post("/scans/<scan_id>/retry")
def retry_scan(scan_id: str) -> ResponseReturnValue:
    """Re-run steps of a finished scan: new evidence is always followed by a new report version."""
    viewer = current_viewer()
    body = json_body(request)
    job_type = body.get("jobType")
    if job_type not in RETRY_JOB_TYPES:
        raise TechScanError(
            "jobType must be 'evidence', 'report' or 'both'",
            code="validation_error",
            http_status=400,
            fields={"jobType": "expected evidence, report or both"},
        )
    steps = RETRY_JOB_TYPES[job_type]
    config = settings()
    with session_scope(config) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        if not scan.status.is_final:
            raise TechScanError(
                f"scan {scan_id} is still {scan.status}", code="scan_running", http_status=409
            )
        if steps == (StepName.REPORT,) and scan.steps[StepName.EVIDENCE].status != StepStatus.COMPLETED:
            raise TechScanError(
                "the report can be regenerated only from completed evidence; retry 'evidence' instead",
                code="evidence_not_completed",
                http_status=409,
            )
        task_ids = {}
        for step in steps:
            task_ids[step] = tasks.task_id_for(scan_id, step, scan.steps[step].attempt + 1)
            repo.reset_step(session, scan_id, step, task_id=task_ids[step])
        repo.reopen_scan(session, scan_id)
    try:
        tasks.enqueue_steps(config, scan_id, task_ids)
    except BrokerUnavailable:
        # Put the scan back as it was seen: finished, with the retry not started.
        with session_scope(config) as session:
            for step in steps:
                repo.finish_step(session, scan_id, step, StepStatus.SKIPPED, error_code="broker_unavailable")
            repo.set_scan_status(session, scan_id, ScanStatus.FAILED, error_code="broker_unavailable",
                                 error_message="the retry could not be queued")  # fmt: skip
        raise
    jobs = {"evidenceJobId": task_ids.get(StepName.EVIDENCE), "reportJobId": task_ids.get(StepName.REPORT)}
    return jsonify({"success": True, "scanRequestId": scan_id, "jobType": job_type, "jobs": jobs}), 202
