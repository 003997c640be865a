"""The scans and reports API: submit, status, list, evidence, cancel, reports, health and readiness."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq import ops_status, tasks
from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.validation import idempotency_key, json_body, pagination
from techscaniq.domain import Report, Scan, ScanStatus, Step, StepName, StepStatus
from techscaniq.errors import StorageUnavailable, TechScanError
from techscaniq.scans import service
from techscaniq.scans.rate_limit import RateLimited
from techscaniq.webhooks import webhook_deliveries_for

api = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _query_text(name: str, limit: int) -> str | None:
    """A free-text query parameter, trimmed; 400 for control characters."""
    value = (request.args.get(name) or "").strip()[:limit]
    if CONTROL_CHARACTERS.search(value):
        raise TechScanError(
            f"{name} must not contain control characters",
            code="validation_error",
            http_status=400,
            fields={name: "control characters are not allowed"},
        )
    return value or None


@api.errorhandler(RateLimited)
def _on_rate_limited(error: RateLimited) -> ResponseReturnValue:
    return jsonify(error.to_dict()), error.http_status, {"Retry-After": str(error.retry_after_seconds)}


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
        and step.lease_expires_at < service.now(),
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
            "callback_url": scan.callback_url,
            "webhookDeliveries": webhook_deliveries_for(settings(), scan.id) if scan.callback_url else [],
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
    """Validate, commit the scan row, then send the chain; 503 and no scan left behind when the broker is down.

    With an Idempotency-Key header, repeats of the same body within 24 h replay the first answer and a
    different body under the same key is 409.
    """
    viewer = current_viewer()
    body = json_body(request)
    key = idempotency_key(request)
    submitted = service.submit(settings(), viewer, body, idempotency_key=key)
    headers = {"Location": f"/api/scans/{submitted.scan_id}"}
    if submitted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(submitted.body), submitted.status, headers


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
    rows, total = service.list_scans(
        settings(), viewer, page=page, per_page=per_page, status=status, search=_query_text("q", 200)
    )
    items = [_scan_summary(scan, report) for scan, report in rows]
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


@api.get("/scans/<scan_id>")
def get_scan(scan_id: str) -> ResponseReturnValue:
    """The scan with its steps and errors."""
    overview = service.scan_overview(settings(), current_viewer(), scan_id)
    return jsonify(_scan_detail(overview.scan, overview.report, overview.items))


@api.get("/scans/<scan_id>/status")
def scan_status(scan_id: str) -> ResponseReturnValue:
    """Durable status from the database, overlaid with the live task state of a running step."""
    progress = service.scan_progress(settings(), current_viewer(), scan_id)
    scan = progress.scan
    body: dict[str, Any] = {
        "scanRequest": {
            "id": scan.id,
            "company": scan.company_name,
            "status": str(scan.status),
            "createdAt": _iso(scan.created_at),
        },
        "progress": {
            "evidenceCollection": _step_json(scan.steps[StepName.EVIDENCE], progress.live),
            "reportGeneration": _step_json(scan.steps[StepName.REPORT], None, report_id=progress.report_id),
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
    category = _query_text("category", 64)
    items, total = service.evidence_page(
        settings(), viewer, scan_id, page=page, per_page=per_page, category=category
    )
    return jsonify(
        {"items": [item.to_api() for item in items], "page": page, "per_page": per_page, "total": total}
    )


@api.post("/scans/<scan_id>/cancel")
def cancel_scan(scan_id: str) -> ResponseReturnValue:
    """Ask a running scan to stop; one that has not started yet is cancelled at once."""
    status = service.cancel(settings(), current_viewer(), scan_id)
    return jsonify({"success": True, "scanRequestId": scan_id, "status": str(status)}), 202


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
    report = service.open_report(
        settings(), current_viewer(), report_id, action="report.view", path=request.path, format="json"
    )
    return jsonify(_report_json(report))


@api.get("/scans/<scan_id>/report")
def scan_report(scan_id: str) -> ResponseReturnValue:
    """The newest report of a scan."""
    report = service.open_latest_report(
        settings(), current_viewer(), scan_id, path=request.path, format="json"
    )
    return jsonify(_report_json(report))


@api.delete("/scans/<scan_id>")
def delete_scan(scan_id: str) -> ResponseReturnValue:
    """Remove a finished scan with its evidence, reports and events (204); a running scan must be cancelled first."""
    service.delete(settings(), current_viewer(), scan_id)
    return "", 204


@api.get("/audit")
def audit_entries() -> ResponseReturnValue:
    """Who viewed, exported or deleted what: the caller's organisation's entries (admins: all), newest first."""
    viewer = current_viewer()
    _, per_page = pagination(request)
    scan_id = _query_text("scan_id", 100)
    report_id = _query_text("report_id", 100)
    entries = service.audit_entries(settings(), viewer, scan_id=scan_id, report_id=report_id, limit=per_page)
    items = [
        {
            "id": entry.id,
            "at": _iso(entry.at),
            "action": entry.action,
            "keyId": entry.key_id,
            "orgId": entry.org_id,
            "scanId": entry.scan_id,
            "reportId": entry.report_id,
            "detail": entry.detail,
        }
        for entry in entries
    ]
    return jsonify({"items": items})


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
        ops_status.ping_database(config)
        checks["database"] = "ok"
    except (StorageUnavailable, Exception):  # any failure means not ready
        # The driver's text names host, port and user: it goes to the log, the public answer says "down".
        log.warning("readiness: the database is unreachable", exc_info=True)
        checks["database"] = "down"
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


@api.post("/scans/<scan_id>/retry")
def retry_scan(scan_id: str) -> ResponseReturnValue:
    """Re-run steps of a finished scan: new evidence is always followed by a new report version."""
    viewer = current_viewer()
    job_type = json_body(request).get("jobType")
    task_ids = service.retry(settings(), viewer, scan_id, job_type)
    jobs = {"evidenceJobId": task_ids.get(StepName.EVIDENCE), "reportJobId": task_ids.get(StepName.REPORT)}
    return jsonify({"success": True, "scanRequestId": scan_id, "jobType": job_type, "jobs": jobs}), 202
