"""The scans and reports API: submit, status, list, evidence, cancel, reports, health and readiness."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from typing import Any

import redis
from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq import pipeline, tasks
from techscaniq.api.auth import Viewer, current_viewer, settings
from techscaniq.api.validation import (
    ScanRequest,
    idempotency_key,
    json_body,
    pagination,
    validate_scan_request,
)
from techscaniq.config import Settings, parse_rate
from techscaniq.domain import Report, Scan, ScanStatus, Step, StepName, StepStatus
from techscaniq.errors import (
    BrokerUnavailable,
    ConflictError,
    NotFoundError,
    StorageUnavailable,
    TechScanError,
)
from techscaniq.storage import repo, security_repo
from techscaniq.storage.db import ping, session_scope
from techscaniq.webhooks import webhook_deliveries_for
from techscaniq.workflow import service as workflow_service

api = Blueprint("api", __name__, url_prefix="/api")

# How long a repeat waits for the first request with its Idempotency-Key to finish before answering 409.
IDEMPOTENCY_WAIT_SECONDS = 15.0
IDEMPOTENCY_POLL_SECONDS = 0.05
RATE_LIMIT_REDIS_TIMEOUT_SECONDS = 1.0
RATE_LIMIT_KEY_PREFIX = "techscaniq:submit-rate"


class RateLimited(TechScanError):
    """Too many submissions from one key in the current window: 429 with Retry-After."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


# Ids are UUIDs and task-style ids; anything else is unknown without asking the database (PostgreSQL refuses
# NUL bytes in text with an error, not a miss).
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


@api.url_value_preprocessor
def _check_ids(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    for name in ("scan_id", "report_id"):
        value = (values or {}).get(name)
        if value is not None and not ID_PATTERN.match(value):
            raise NotFoundError(f"{name.removesuffix('_id')} {value[:100]!r} not found")


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
    config = settings()
    body = json_body(request)
    key = idempotency_key(request)
    enforce_submit_rate(config, viewer)
    submission = validate_scan_request(body)
    if key is None:
        status, payload = _create_scan(config, viewer, submission)
        replayed = False
    else:
        status, payload, replayed = _create_scan_once(config, viewer, submission, key, _request_hash(body))
    headers = {"Location": f"/api/scans/{payload['scanRequestId']}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(payload), status, headers


def _create_scan(
    config: Settings, viewer: Viewer, submission: ScanRequest, *, scheduled: bool = False
) -> tuple[int, dict[str, Any]]:
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
            callback_url=submission.callback_url,
        )
        # The analyst's workflow: the scan joins its company in the same transaction.
        workflow_service.attach_new_scan(
            session,
            scan_id=scan_id,
            org_id=viewer.org_id,
            website_url=submission.website_url,
            company_name=submission.company_name,
            scheduled=scheduled,
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
    return 201, body


def _request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _create_scan_once(
    config: Settings, viewer: Viewer, submission: ScanRequest, key: str, request_hash: str
) -> tuple[int, dict[str, Any], bool]:
    """Create the scan unless this key already did: (status, body, replayed)."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    while True:
        with session_scope(config) as session:
            earlier = security_repo.reserve_idempotency_key(session, viewer.org_id, key, request_hash)
        if earlier is None:
            break
        if earlier.request_hash != request_hash:
            raise ConflictError(
                "this Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        # The first request with this key is still running: wait for its answer (a read, no write lock).
        while earlier is not None and not earlier.finished and time.monotonic() < deadline:
            time.sleep(IDEMPOTENCY_POLL_SECONDS)
            with session_scope(config, write=False) as session:
                earlier = security_repo.find_idempotency_key(session, viewer.org_id, key)
        if earlier is not None and earlier.finished:
            return int(earlier.response_status or 201), dict(earlier.response_body or {}), True
        if earlier is not None:
            raise ConflictError(
                "a request with this Idempotency-Key is still being processed; repeat it shortly",
                code="idempotency_request_in_progress",
            )
        # The first request failed and gave the key back: try to take it.
    try:
        status, body = _create_scan(config, viewer, submission)
    except BaseException:
        with session_scope(config) as session:
            security_repo.release_idempotency_key(session, viewer.org_id, key)
        raise
    with session_scope(config) as session:
        security_repo.complete_idempotency_key(session, viewer.org_id, key, status=status, body=body)
    return status, body, False


# --- submission rate limit ----------------------------------------------------------------------------------

_rate_clients: dict[str, redis.Redis] = {}
_local_counts: dict[tuple[str, int], int] = {}
_rate_lock = threading.Lock()


def _rate_client(url: str) -> redis.Redis:
    with _rate_lock:
        client = _rate_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=RATE_LIMIT_REDIS_TIMEOUT_SECONDS,
                socket_timeout=RATE_LIMIT_REDIS_TIMEOUT_SECONDS,
            )
            _rate_clients[url] = client
        return client


def _count_submission(config: Settings, subject: str, window_index: int, window_seconds: int) -> int | None:
    """This submission's number in its window, or None when the counter cannot be reached."""
    if not config.redis_url:
        # No Redis (the one-machine setup): one API process, so a counter in memory is exact.
        with _rate_lock:
            for old in [k for k in _local_counts if k[1] < window_index]:
                del _local_counts[old]
            _local_counts[(subject, window_index)] = _local_counts.get((subject, window_index), 0) + 1
            return _local_counts[(subject, window_index)]
    name = f"{RATE_LIMIT_KEY_PREFIX}:{subject}:{window_seconds}:{window_index}"
    try:
        with _rate_client(config.redis_url).pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds + 1)
            count, _ = pipe.execute()
        return int(count)
    except redis.RedisError:
        return None


def enforce_submit_rate(config: Settings, viewer: Viewer) -> None:
    """Count a submission against the key's TECHSCANIQ_SUBMIT_RATE; RateLimited (429) past the limit."""
    limit, window_seconds = parse_rate(config.submit_rate)
    now = time.time()
    window_index = int(now // window_seconds)
    subject = viewer.key_id or f"org-{viewer.org_id}"
    count = _count_submission(config, subject, window_index, window_seconds)
    # Fail open when Redis is down: the submission itself then answers 503 broker_unavailable.
    if count is None or count <= limit:
        return
    retry_after = max(1, int((window_index + 1) * window_seconds - now + 0.999))
    raise RateLimited(
        f"at most {config.submit_rate} scan submissions per API key; try again in {retry_after} s",
        retry_after_seconds=retry_after,
    )


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
            search=_query_text("q", 200),
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
        report_id = repo.latest_report_id(session, scan_id)
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
            "reportGeneration": _step_json(report_step, None, report_id=report_id),
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
        pipeline.cancel_scan(config, scan_id, notify=False)
        tasks.enqueue_webhook(scan_id)
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


def audit_report_access(report: Report, action: str, **detail: Any) -> None:
    """Record in the audit log that the caller viewed or exported a report (e.g. action="report.export",
    format="pdf"); call it from every route that hands out report content."""
    viewer = current_viewer()
    with session_scope(settings()) as session:
        owner = repo.get_scan(session, report.scan_id).org_id
        security_repo.record_audit(
            session,
            action=action,
            org_id=owner,
            key_id=viewer.key_id,
            scan_id=report.scan_id,
            report_id=report.id,
            detail={
                "viewer_org_id": viewer.org_id,
                "version": report.version,
                "path": request.path,
                **detail,
            },
        )


@api.get("/reports/<report_id>")
def get_report(report_id: str) -> ResponseReturnValue:
    """A report version as JSON; every statement lists the evidence ids it rests on."""
    viewer = current_viewer()
    with session_scope(settings(), write=False) as session:
        report = repo.get_report(session, report_id, org_id=viewer.scope_org_id)
    audit_report_access(report, "report.view", format="json")
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
    audit_report_access(report, "report.view", format="json")
    return jsonify(_report_json(report))


@api.delete("/scans/<scan_id>")
def delete_scan(scan_id: str) -> ResponseReturnValue:
    """Remove a finished scan with its evidence, reports and events (204); a running scan must be cancelled first."""
    viewer = current_viewer()
    with session_scope(settings()) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        if not scan.status.is_final:
            raise ConflictError(
                f"scan {scan_id} is still {scan.status}; cancel it and delete it once it has stopped",
                code="scan_running",
            )
        repo.delete_scan(session, scan_id, org_id=viewer.scope_org_id)
        security_repo.record_audit(
            session,
            action="scan.delete",
            org_id=scan.org_id,
            key_id=viewer.key_id,
            scan_id=scan_id,
            detail={"viewer_org_id": viewer.org_id},
        )
    return "", 204


@api.get("/audit")
def audit_entries() -> ResponseReturnValue:
    """Who viewed, exported or deleted what: the caller's organisation's entries (admins: all), newest first."""
    viewer = current_viewer()
    _, per_page = pagination(request)
    scan_id = _query_text("scan_id", 100)
    report_id = _query_text("report_id", 100)
    with session_scope(settings(), write=False) as session:
        entries = security_repo.list_audit(
            session, org_id=viewer.scope_org_id, scan_id=scan_id, report_id=report_id, limit=per_page
        )
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
