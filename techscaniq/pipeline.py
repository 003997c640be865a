"""The two steps of a scan as plain functions; Celery tasks and the CLI both call these."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from enum import StrEnum

from techscaniq.config import Settings
from techscaniq.domain import EventKind, ScanStatus, StepName, StepStatus
from techscaniq.errors import ScanCancelled, StepLeaseTaken, TechScanError
from techscaniq.evidence.collect import collect_evidence
from techscaniq.progress import ProgressReporter, TaskStateCallback
from techscaniq.report.audit import content_problems
from techscaniq.report.writer import write_report
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.webhooks import deliver_completion_webhook

log = logging.getLogger(__name__)

STEP_ORDER = (StepName.EVIDENCE, StepName.REPORT)


class StepOutcome(StrEnum):
    """What a call to a step function did."""

    DONE = "done"
    ALREADY_DONE = "already_done"
    HELD_ELSEWHERE = "held_elsewhere"
    CANCELLED = "cancelled"
    NOT_RUNNABLE = "not_runnable"


def _claim(settings: Settings, scan_id: str, step: StepName, owner: str) -> StepOutcome | None:
    """Take the step's lease; an outcome when the step must not run here, None when it is ours."""
    with session_scope(settings) as session:
        scan = repo.get_scan(session, scan_id)
        current = scan.steps[step]
        if scan.status.is_final:
            return (
                StepOutcome.ALREADY_DONE
                if current.status == StepStatus.COMPLETED
                else StepOutcome.NOT_RUNNABLE
            )
        if current.status == StepStatus.COMPLETED:
            return StepOutcome.ALREADY_DONE
        if current.status in {StepStatus.FAILED, StepStatus.SKIPPED}:
            return StepOutcome.NOT_RUNNABLE
        if any(
            scan.steps[earlier].status != StepStatus.COMPLETED
            for earlier in STEP_ORDER[: STEP_ORDER.index(step)]
        ):
            return StepOutcome.NOT_RUNNABLE
        claimed = repo.claim_step(
            session, scan_id, step, owner=owner, lease_seconds=settings.step_lease_seconds
        )
        if claimed is None:
            return StepOutcome.HELD_ELSEWHERE
        poisoned = claimed.deliveries > settings.max_step_deliveries
        if poisoned:
            # Claimed more often than allowed without finishing: the step kills whatever runs it. Failing it in
            # the claim's own transaction means no one ever sees it active again.
            message = f"{step} step crashed its worker {claimed.deliveries - 1} times"
            log.error("scan %s failed in %s: poison %s", scan_id, step, message)
            repo.fail_step_and_scan(session, scan_id, step, "poison", message, later_steps=_later(step))
        else:
            repo.set_scan_status(session, scan_id, ScanStatus.PROCESSING)
            repo.append_event(
                session, scan_id, EventKind.STEP, f"{step} started", step=step, data={"status": "active"}
            )
    if poisoned:
        deliver_completion_webhook(settings, scan_id)
        return StepOutcome.NOT_RUNNABLE
    return None


def _run(
    settings: Settings,
    scan_id: str,
    step: StepName,
    *,
    owner: str,
    work: Callable[[ProgressReporter], None],
    on_task_state: TaskStateCallback | None,
    on_console: Callable[[str], None] | None,
) -> StepOutcome:
    outcome = _claim(settings, scan_id, step, owner)
    if outcome is not None:
        return outcome
    reporter = ProgressReporter(
        settings, scan_id, step, owner=owner, on_task_state=on_task_state, on_console=on_console
    )
    reporter.start_heartbeat()
    try:
        reporter.checkpoint()
        work(reporter)
    except ScanCancelled:
        cancel_scan(settings, scan_id)
        return StepOutcome.CANCELLED
    except StepLeaseTaken:
        return StepOutcome.HELD_ELSEWHERE
    finally:
        reporter.stop_heartbeat()
    return StepOutcome.DONE


def collect(
    settings: Settings,
    scan_id: str,
    *,
    owner: str,
    on_task_state: TaskStateCallback | None = None,
    on_console: Callable[[str], None] | None = None,
) -> StepOutcome:
    """Run evidence collection for a scan (idempotent: stored items are never inserted twice)."""

    def work(reporter: ProgressReporter) -> None:
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
        collect_evidence(settings, scan, reporter)
        with session_scope(settings) as session:
            total = repo.count_evidence(session, scan_id)
            repo.update_step_progress(
                session, scan_id, StepName.EVIDENCE, progress=100, items_collected=total
            )
            repo.finish_step(session, scan_id, StepName.EVIDENCE, StepStatus.COMPLETED)
            repo.append_event(
                session,
                scan_id,
                EventKind.STEP,
                f"evidence collection completed with {total} items",
                step=StepName.EVIDENCE,
                progress=100,
                data={"status": "completed", "itemsCollected": total},
            )
        reporter.update(100, items=total, force=False)

    return _run(
        settings,
        scan_id,
        StepName.EVIDENCE,
        owner=owner,
        work=work,
        on_task_state=on_task_state,
        on_console=on_console,
    )


def report(
    settings: Settings,
    scan_id: str,
    *,
    owner: str,
    on_task_state: TaskStateCallback | None = None,
    on_console: Callable[[str], None] | None = None,
) -> StepOutcome:
    """Generate and store a report version from the scan's stored evidence, then complete the scan."""

    def work(reporter: ProgressReporter) -> None:
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
            evidence = repo.all_evidence(session, scan_id)
        reporter.update(10, phase="scoring")
        written = write_report(scan, evidence, settings)
        # The analyst's workflow: a scan whose company was scanned before gets "What changed since <date>".
        from techscaniq.workflow.service import what_changed_section

        written.content.update(what_changed_section(settings, scan, evidence, written.content))
        problems = content_problems(written.content, written.citations, {item.id for item in evidence})
        if problems:
            raise TechScanError(f"report citations invalid: {'; '.join(problems[:3])}", code="report_invalid")
        reporter.checkpoint()
        with session_scope(settings) as session:
            # Saving the report and completing the step share one transaction: exactly one version per run.
            stored = repo.save_report(
                session,
                scan_id,
                content=written.content,
                writer=written.writer,
                score=written.score,
                grade=written.grade,
                report_citations=written.citations,
            )
            repo.finish_step(session, scan_id, StepName.REPORT, StepStatus.COMPLETED)
            repo.set_scan_status(session, scan_id, ScanStatus.COMPLETED)
            repo.append_event(
                session,
                scan_id,
                EventKind.DONE,
                "report ready",
                step=StepName.REPORT,
                progress=100,
                data={"status": ScanStatus.COMPLETED, "reportId": stored.id},
            )

    outcome = _run(
        settings,
        scan_id,
        StepName.REPORT,
        owner=owner,
        work=work,
        on_task_state=on_task_state,
        on_console=on_console,
    )
    if outcome == StepOutcome.DONE:
        deliver_completion_webhook(settings, scan_id)
    return outcome


def release_for_retry(
    settings: Settings, scan_id: str, step: StepName, error: TechScanError, attempt: int
) -> None:
    """Hand the step back cleanly before a retry so the next delivery may claim it."""
    with session_scope(settings) as session:
        repo.release_step(session, scan_id, step)
        repo.append_event(
            session,
            scan_id,
            EventKind.WARNING,
            f"{step} attempt {attempt} failed ({error.code}): retrying",
            step=step,
            data={"code": error.code, "message": error.message},
        )


def _later(step: StepName) -> tuple[StepName, ...]:
    return STEP_ORDER[STEP_ORDER.index(step) + 1 :]


def _fail(settings: Settings, scan_id: str, step: StepName, code: str, message: str) -> None:
    with session_scope(settings) as session:
        repo.fail_step_and_scan(session, scan_id, step, code, message, later_steps=_later(step))


def internal_error_message() -> tuple[str, str]:
    """The stable code and plain message of an unexpected failure, with a fresh reference for the log."""
    reference = uuid.uuid4().hex[:12]
    return "internal_error", f"an unexpected error stopped this step (reference {reference})"


def fail_scan(
    settings: Settings, scan_id: str, step: StepName, error: BaseException, *, only_unfinished: bool = False
) -> None:
    """Mark the step failed for good, later steps skipped and the scan failed with the error's code."""
    if only_unfinished:
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
        if scan.status.is_final or scan.steps[step].status.is_final:
            return
    if isinstance(error, TechScanError):
        code, message = error.code, error.message
        log.error("scan %s failed in %s: %s %s", scan_id, step, code, message)
    else:
        # The exception's text can hold SQL and its parameters: it goes to the log under a reference the
        # tenant sees, never to the tenant.
        code, message = internal_error_message()
        log.error("scan %s failed in %s: %s", scan_id, step, message, exc_info=error)
    _fail(settings, scan_id, step, code, message[:2000])
    deliver_completion_webhook(settings, scan_id)


def cancel_scan(settings: Settings, scan_id: str, *, notify: bool = True) -> None:
    """End a scan whose cancel flag was seen: keep what was collected, skip what did not run.

    notify=False leaves the completion webhook to the caller (an API request must not wait on a receiver).
    """
    with session_scope(settings) as session:
        for step in STEP_ORDER:
            repo.finish_step(session, scan_id, step, StepStatus.SKIPPED, error_code="cancelled")
        repo.set_scan_status(session, scan_id, ScanStatus.CANCELLED)
        repo.append_event(
            session, scan_id, EventKind.DONE, "scan cancelled", data={"status": ScanStatus.CANCELLED}
        )
    if notify:
        deliver_completion_webhook(settings, scan_id)
