"""Scan commands (submit, cancel, retry, delete, open a report) and the reads behind the API, the UI and the CLI.

Handlers parse a request, call one function here and serialise its answer; the rules of a scan's life live here.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from techscaniq import pipeline, tasks
from techscaniq.accounts import Viewer
from techscaniq.config import Settings
from techscaniq.domain import (
    Evidence,
    EvidenceType,
    Report,
    Scan,
    ScanEvent,
    ScanStatus,
    StepName,
    StepStatus,
)
from techscaniq.errors import BrokerUnavailable, ConflictError, TechScanError
from techscaniq.report.screenshot import screenshot_png
from techscaniq.scans.rate_limit import enforce_submit_rate
from techscaniq.scans.submission import ScanRequest, validate_scan_request
from techscaniq.storage import repo, report_files, security_repo
from techscaniq.storage.db import session_scope
from techscaniq.workflow.service import attach_new_scan

# How long a repeat waits for the first request with its Idempotency-Key to finish before answering 409.
IDEMPOTENCY_WAIT_SECONDS = 15.0
IDEMPOTENCY_POLL_SECONDS = 0.05
EVENT_BATCH = 1000
CLI_TASK_SUFFIX = ".cli"

RETRY_JOB_TYPES: dict[str, tuple[StepName, ...]] = {
    "evidence": (StepName.EVIDENCE, StepName.REPORT),
    "both": (StepName.EVIDENCE, StepName.REPORT),
    "report": (StepName.REPORT,),
}


@dataclass(frozen=True)
class Submitted:
    """The answer to a submission: HTTP status, JSON body, and whether it replays an earlier answer."""

    status: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def scan_id(self) -> str:
        """The id of the scan the submission created (or created before, when replayed)."""
        return str(self.body["scanRequestId"])


@dataclass(frozen=True)
class ScanOverview:
    """A scan with its newest report and how many evidence items it has."""

    scan: Scan
    report: Report | None
    items: int


@dataclass(frozen=True)
class ScanProgress:
    """A scan's durable state, its newest report id and the live task state of a running evidence step."""

    scan: Scan
    report_id: str | None
    live: dict[str, Any] | None
    live_answered: bool = True


@dataclass(frozen=True)
class ReportPage:
    """What the UI's report page shows: the report, its scan and every evidence item."""

    report: Report
    scan: Scan
    evidence: list[Evidence]


def now() -> datetime:
    """The time stalled leases are judged against."""
    return repo.utcnow()


# --- submit -------------------------------------------------------------------------------------------------


def validate_submission(settings: Settings, body: dict[str, Any]) -> ScanRequest:
    """The submission checked under this deployment's address rules; ValidationError listing every bad field."""
    return validate_scan_request(body, settings.allow_networks)


def request_hash(body: dict[str, Any]) -> str:
    """A digest of a submission body: the same JSON object in any key order gives the same digest."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit(
    settings: Settings, viewer: Viewer, body: dict[str, Any], *, idempotency_key: str | None = None
) -> Submitted:
    """Count the submission, validate it, commit the scan and send its chain; no scan is left when the broker is down.

    With an idempotency key, repeats of the same body within 24 h replay the first answer and a different body
    under the same key is a conflict.
    """
    enforce_submit_rate(settings, viewer)
    submission = validate_submission(settings, body)
    if idempotency_key is None:
        return _create_and_send(settings, viewer, submission)
    return _create_once(settings, viewer, submission, idempotency_key, request_hash(body))


def _answer(scan_id: str, task_ids: dict[StepName, str]) -> dict[str, Any]:
    return {
        "success": True,
        "scanRequestId": scan_id,
        "jobs": {"evidenceJobId": task_ids[StepName.EVIDENCE], "reportJobId": task_ids[StepName.REPORT]},
    }


def _insert_scan(
    settings: Settings,
    *,
    org_id: str,
    key_id: str | None,
    submission: ScanRequest,
    task_suffix: str = "",
    idempotency_key: str | None = None,
) -> tuple[str, dict[StepName, str]]:
    scan_id = str(uuid.uuid4())
    task_ids = {step: tasks.task_id_for(scan_id, step, 1, suffix=task_suffix) for step in pipeline.STEP_ORDER}
    with session_scope(settings) as session:
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            created_by_key_id=key_id,
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
        # The analyst's workflow: the scan joins its company in the transaction that creates it.
        attach_new_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            website_url=submission.website_url,
            company_name=submission.company_name,
        )
        if idempotency_key is not None:
            # The scan and its key's answer commit together: an API that dies after this commit leaves a key that
            # replays this scan (its message, if never sent, is found missing and sent by the reaper).
            security_repo.complete_idempotency_key(
                session, org_id, idempotency_key, status=201, body=_answer(scan_id, task_ids)
            )
    return scan_id, task_ids


def _create_and_send(
    settings: Settings, viewer: Viewer, submission: ScanRequest, idempotency_key: str | None = None
) -> Submitted:
    scan_id, task_ids = _insert_scan(
        settings,
        org_id=viewer.org_id,
        key_id=viewer.key_id,
        submission=submission,
        idempotency_key=idempotency_key,
    )
    try:
        tasks.enqueue_steps(settings, scan_id, task_ids)
    except BrokerUnavailable:
        with session_scope(settings) as session:
            repo.delete_scan(session, scan_id, org_id=None)
            if idempotency_key is not None:
                security_repo.release_idempotency_key(session, viewer.org_id, idempotency_key, answered=True)
        raise
    return Submitted(201, _answer(scan_id, task_ids))


def _create_once(
    settings: Settings, viewer: Viewer, submission: ScanRequest, key: str, body_hash: str
) -> Submitted:
    """Create the scan unless this key already did."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    while True:
        with session_scope(settings) as session:
            earlier = security_repo.reserve_idempotency_key(session, viewer.org_id, key, body_hash)
        if earlier is None:
            break
        if earlier.request_hash != body_hash:
            raise ConflictError(
                "this Idempotency-Key was already used with a different request body",
                code="idempotency_key_reused",
            )
        # The first request with this key is still running: wait for its answer (a read, no write lock).
        while earlier is not None and not earlier.finished and time.monotonic() < deadline:
            time.sleep(IDEMPOTENCY_POLL_SECONDS)
            with session_scope(settings, write=False) as session:
                earlier = security_repo.find_idempotency_key(session, viewer.org_id, key)
        if earlier is not None and earlier.finished:
            return Submitted(int(earlier.response_status or 201), dict(earlier.response_body or {}), True)
        if earlier is not None:
            raise ConflictError(
                "a request with this Idempotency-Key is still being processed; repeat it shortly",
                code="idempotency_request_in_progress",
            )
        # The first request failed and gave the key back: try to take it.
    try:
        return _create_and_send(settings, viewer, submission, idempotency_key=key)
    except BaseException:
        with session_scope(settings) as session:
            security_repo.release_idempotency_key(session, viewer.org_id, key)
        raise


def create_local_scan(
    settings: Settings, body: dict[str, Any], *, org_name: str | None, named_after_url: bool = False
) -> tuple[str, ScanRequest]:
    """A scan the caller runs in its own process (the CLI): validated like a submission, stored, not queued.

    With named_after_url the company is named after the normalised URL.
    """
    submission = validate_submission(settings, body)
    if named_after_url:
        submission = replace(submission, company_name=submission.website_url)
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, org_name or repo.DEFAULT_ORG_NAME)
    scan_id, _ = _insert_scan(
        settings, org_id=org_id, key_id=None, submission=submission, task_suffix=CLI_TASK_SUFFIX
    )
    return scan_id, submission


# --- cancel, retry, delete ----------------------------------------------------------------------------------


def cancel(settings: Settings, viewer: Viewer, scan_id: str) -> ScanStatus:
    """Ask a running scan to stop; one whose steps have not started is cancelled at once. Returns its status."""
    with session_scope(settings) as session:
        scan = repo.request_cancel(session, scan_id, org_id=viewer.scope_org_id)
    if all(step.status == StepStatus.WAITING for step in scan.steps.values()):
        pipeline.cancel_scan(settings, scan_id, notify=False)
        tasks.enqueue_webhook(scan_id)
    with session_scope(settings, write=False) as session:
        return repo.get_scan(session, scan_id).status


def retry(settings: Settings, viewer: Viewer, scan_id: str, job_type: object) -> dict[StepName, str]:
    """Re-run steps of a finished scan (new evidence is always followed by a new report); the new task ids."""
    if not isinstance(job_type, str) or job_type not in RETRY_JOB_TYPES:
        raise TechScanError(
            "jobType must be 'evidence', 'report' or 'both'",
            code="validation_error",
            http_status=400,
            fields={"jobType": "expected evidence, report or both"},
        )
    steps = RETRY_JOB_TYPES[job_type]
    enforce_submit_rate(settings, viewer)  # a retry queues a scan's work again: it counts as a submission
    with session_scope(settings) as session:
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
        tasks.enqueue_steps(settings, scan_id, task_ids)
    except BrokerUnavailable:
        # Put the scan back as it was seen: finished, with the retry not started.
        with session_scope(settings) as session:
            for step in steps:
                repo.finish_step(session, scan_id, step, StepStatus.SKIPPED, error_code="broker_unavailable")
            repo.set_scan_status(session, scan_id, ScanStatus.FAILED, error_code="broker_unavailable",
                                 error_message="the retry could not be queued")  # fmt: skip
        raise
    return task_ids


def delete(settings: Settings, viewer: Viewer, scan_id: str) -> None:
    """Remove a finished scan with its evidence, reports and events; a running scan must be cancelled first."""
    with session_scope(settings) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        if not scan.status.is_final:
            raise ConflictError(
                f"scan {scan_id} is still {scan.status}; cancel it and delete it once it has stopped",
                code="scan_running",
            )
        report_ids = report_files.report_ids_of_scan(session, scan_id)
        repo.delete_scan(session, scan_id, org_id=viewer.scope_org_id)
        security_repo.record_audit(
            session,
            action="scan.delete",
            org_id=scan.org_id,
            key_id=viewer.key_id,
            scan_id=scan_id,
            detail={"viewer_org_id": viewer.org_id},
        )
    report_files.remove_rendered_files(settings.data_dir, report_ids)


# --- reports: every way to their content is audited --------------------------------------------------------


def record_report_access(
    settings: Settings, viewer: Viewer, report: Report, action: str, *, path: str, **detail: Any
) -> None:
    """Record in the audit log that the viewer viewed or exported a report (e.g. action="report.export",
    format="pdf")."""
    with session_scope(settings) as session:
        owner = repo.get_scan(session, report.scan_id).org_id
        security_repo.record_audit(
            session,
            action=action,
            org_id=owner,
            key_id=viewer.key_id,
            scan_id=report.scan_id,
            report_id=report.id,
            detail={"viewer_org_id": viewer.org_id, "version": report.version, "path": path, **detail},
        )


def open_report(
    settings: Settings, viewer: Viewer, report_id: str, *, action: str, path: str, **detail: Any
) -> Report:
    """A report version the viewer may see, with the look recorded in the audit log."""
    with session_scope(settings, write=False) as session:
        report = repo.get_report(session, report_id, org_id=viewer.scope_org_id)
    record_report_access(settings, viewer, report, action, path=path, **detail)
    return report


def open_latest_report(
    settings: Settings, viewer: Viewer, scan_id: str, *, path: str, **detail: Any
) -> Report:
    """The newest report of a scan the viewer may see, audited as a view; 404 report_not_ready before one exists."""
    with session_scope(settings, write=False) as session:
        repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report = repo.latest_report(session, scan_id)
    if report is None:
        raise TechScanError("this scan has no report yet", code="report_not_ready", http_status=404)
    record_report_access(settings, viewer, report, "report.view", path=path, **detail)
    return report


def open_report_page(settings: Settings, viewer: Viewer, report_id: str, *, path: str) -> ReportPage:
    """The UI's report page: the report, its scan and evidence, with the view recorded in the audit log."""
    with session_scope(settings, write=False) as session:
        report = repo.get_report(session, report_id, org_id=viewer.scope_org_id)
        scan = repo.get_scan(session, report.scan_id)
        evidence = repo.all_evidence(session, report.scan_id)
    record_report_access(settings, viewer, report, "report.view", path=path, format="page")
    return ReportPage(report, scan, evidence)


def report_screenshot(settings: Settings, report: Report) -> Evidence | None:
    """The screenshot item a report cites at its head (of the report's own scan), or None.

    The caller has already opened the report for its viewer (open_report*), which checked the organisation.
    """
    shot = report.content.get("screenshot")
    if not isinstance(shot, dict) or not shot.get("taken") or not shot.get("evidence_ids"):
        return None
    with session_scope(settings, write=False) as session:
        item = repo.get_evidence_item(session, report.scan_id, str(shot["evidence_ids"][0]))
    return item if item is not None and item.type == EvidenceType.SCREENSHOT else None


def open_report_screenshot(settings: Settings, viewer: Viewer, report_id: str) -> bytes | None:
    """The checked PNG at the head of a report the viewer may see (NotFoundError otherwise), or None without one.

    Not audited: the page or export that shows the picture recorded the look at the report.
    """
    with session_scope(settings, write=False) as session:
        report = repo.get_report(session, report_id, org_id=viewer.scope_org_id)
    item = report_screenshot(settings, report)
    return None if item is None else screenshot_png(item.data)


# --- reads --------------------------------------------------------------------------------------------------


def list_scans(
    settings: Settings,
    viewer: Viewer,
    *,
    page: int,
    per_page: int,
    status: str | None = None,
    search: str | None = None,
) -> tuple[list[tuple[Scan, Report | None]], int]:
    """A page of the scans the viewer may see, newest first, with each one's newest report, and the total."""
    with session_scope(settings, write=False) as session:
        return repo.list_scans(
            session, org_id=viewer.scope_org_id, page=page, per_page=per_page, status=status, search=search
        )


def require_scan(settings: Settings, viewer: Viewer, scan_id: str) -> Scan:
    """The scan when the viewer may see it; NotFoundError otherwise."""
    with session_scope(settings, write=False) as session:
        return repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)


def scan_overview(settings: Settings, viewer: Viewer, scan_id: str) -> ScanOverview:
    """The scan, its newest report and its evidence count."""
    with session_scope(settings, write=False) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report = repo.latest_report(session, scan_id)
        items = repo.count_evidence(session, scan_id)
    return ScanOverview(scan, report, items)


def scan_progress(settings: Settings, viewer: Viewer, scan_id: str) -> ScanProgress:
    """Durable status from the database and, for a running evidence step, its live task state."""
    with session_scope(settings, write=False) as session:
        scan = repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        report_id = repo.latest_report_id(session, scan_id)
    evidence_step = scan.steps[StepName.EVIDENCE]
    live, answered = (
        tasks.read_live_state(evidence_step.task_id)
        if evidence_step.status == StepStatus.ACTIVE
        else (None, True)
    )
    return ScanProgress(scan, report_id, live, answered)


def evidence_page(
    settings: Settings, viewer: Viewer, scan_id: str, *, page: int, per_page: int, category: str | None
) -> tuple[list[Evidence], int]:
    """A page of the scan's evidence items, optionally of one category, and the total."""
    with session_scope(settings, write=False) as session:
        repo.get_scan(session, scan_id, org_id=viewer.scope_org_id)
        return repo.list_evidence(session, scan_id, page=page, per_page=per_page, category=category)


def events_after(
    settings: Settings, scan_id: str, after_seq: int, limit: int
) -> tuple[list[ScanEvent], str | None]:
    """Events after a sequence number; when there are none, the scan's status if it is final."""
    with session_scope(settings, write=False) as session:
        events = repo.list_events(session, scan_id, after_seq=after_seq, limit=limit)
        if events:
            return events, None
        scan = repo.get_scan(session, scan_id)
    return [], str(scan.status) if scan.status.is_final else None


def all_events(settings: Settings, scan_id: str) -> list[ScanEvent]:
    """The scan's whole event log in order."""
    events: list[ScanEvent] = []
    with session_scope(settings, write=False) as session:
        while True:
            batch = repo.list_events(
                session, scan_id, after_seq=events[-1].seq if events else 0, limit=EVENT_BATCH
            )
            events.extend(batch)
            if len(batch) < EVENT_BATCH:
                return events


def audit_entries(
    settings: Settings, viewer: Viewer, *, scan_id: str | None, report_id: str | None, limit: int
) -> list[security_repo.AuditEntry]:
    """Who viewed, exported or deleted what: the viewer's organisation's entries (admins: all), newest first."""
    with session_scope(settings, write=False) as session:
        return security_repo.list_audit(
            session, org_id=viewer.scope_org_id, scan_id=scan_id, report_id=report_id, limit=limit
        )
