"""The two steps of a scan as plain functions; Celery tasks and the CLI both call these."""

from __future__ import annotations

import logging
import time
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
    STALE = "stale"
    LEASE_TAKEN = "lease_taken"
    CANCELLED = "cancelled"
    NOT_RUNNABLE = "not_runnable"


# A copy of the running message (a redelivery, a re-send, a hand-back restored before its lease was released)
# polls this often for the lease to come free before it leaves the step to the holder.
CLAIM_POLL_SECONDS = 0.5


def claim_verdict(
    *,
    scan_final: bool,
    step_status: StepStatus,
    earlier_completed: bool,
    step_task_id: str,
    task_id: str | None,
    lease_live: bool,
) -> StepOutcome | None:
    """Whether a delivery may try to take the step's lease (None) or what it does instead."""
    if step_status == StepStatus.COMPLETED:
        return StepOutcome.ALREADY_DONE
    if scan_final or step_status in {StepStatus.FAILED, StepStatus.SKIPPED} or not earlier_completed:
        return StepOutcome.NOT_RUNNABLE
    if task_id is not None and step_task_id != task_id:
        return StepOutcome.STALE  # the reaper or a retry replaced this message: the new one runs the step
    if step_status == StepStatus.ACTIVE and lease_live:
        return StepOutcome.HELD_ELSEWHERE
    return None


def _claim(
    settings: Settings, scan_id: str, step: StepName, owner: str, task_id: str | None
) -> StepOutcome | None:
    """Take the step's lease; an outcome when the step must not run here, None when it is ours."""
    with session_scope(settings) as session:
        scan = repo.get_scan(session, scan_id)
        current = scan.steps[step]
        verdict = claim_verdict(
            scan_final=scan.status.is_final,
            step_status=current.status,
            earlier_completed=all(
                scan.steps[earlier].status == StepStatus.COMPLETED
                for earlier in STEP_ORDER[: STEP_ORDER.index(step)]
            ),
            step_task_id=current.task_id,
            task_id=task_id,
            lease_live=repo.lease_is_live(session, scan_id, step),
        )
        if verdict is not None:
            return verdict
        claimed = repo.claim_step(
            session, scan_id, step, owner=owner, lease_seconds=settings.step_lease_seconds, task_id=task_id
        )
        if claimed is None:
            return StepOutcome.HELD_ELSEWHERE  # another copy claimed between the read and the update
        poisoned = claimed.crashes > settings.max_step_deliveries
        if poisoned:
            # Claimed more often than allowed without finishing: the step kills whatever runs it. Failing it in
            # the claim's own transaction means no one ever sees it active again.
            message = f"{step} step crashed its worker {claimed.crashes - 1} times"
            log.error("scan %s failed in %s: poison %s", scan_id, step, message)
            repo.fail_step_and_scan(
                session, scan_id, step, "poison", message, later_steps=_later(step), owner=owner
            )
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
    task_id: str | None,
    work: Callable[[ProgressReporter], None],
    on_task_state: TaskStateCallback | None,
    on_console: Callable[[str], None] | None,
) -> StepOutcome:
    # Wait a little for a copy of this very message to let go (a worker's hand-back releases its lease right after
    # its message is restored); a live holder keeps the step and runs the rest of the chain itself.
    deadline = time.monotonic() + settings.step_claim_wait_seconds
    while True:
        outcome = _claim(settings, scan_id, step, owner, task_id)
        if outcome != StepOutcome.HELD_ELSEWHERE or task_id is None or time.monotonic() >= deadline:
            break
        time.sleep(CLAIM_POLL_SECONDS)
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
        try:
            cancel_scan(settings, scan_id, owner=(step, owner))
        except StepLeaseTaken:
            return StepOutcome.LEASE_TAKEN
        return StepOutcome.CANCELLED
    except StepLeaseTaken:
        log.warning("scan %s: %s lease taken from %s; this copy stops", scan_id, step, owner)
        return StepOutcome.LEASE_TAKEN
    except SystemExit:
        # The pool child is being terminated (the worker's soft-shutdown window closed): its message goes back to
        # the queue, so hand the lease back first; the next delivery claims it at once. Not a crash.
        hand_back(settings, scan_id, step, owner=owner)
        raise
    finally:
        reporter.stop_heartbeat()
    return StepOutcome.DONE


def collect(
    settings: Settings,
    scan_id: str,
    *,
    owner: str,
    task_id: str | None = None,
    on_task_state: TaskStateCallback | None = None,
    on_console: Callable[[str], None] | None = None,
) -> StepOutcome:
    """Run evidence collection for a scan (idempotent: stored items are never inserted twice)."""

    def work(reporter: ProgressReporter) -> None:
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
        collect_evidence(settings, scan, reporter)
        with session_scope(settings) as session:
            repo.fence(session, scan_id, StepName.EVIDENCE, owner=owner)
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
        reporter.finished(items=total)

    return _run(
        settings,
        scan_id,
        StepName.EVIDENCE,
        owner=owner,
        task_id=task_id,
        work=work,
        on_task_state=on_task_state,
        on_console=on_console,
    )


def report(
    settings: Settings,
    scan_id: str,
    *,
    owner: str,
    task_id: str | None = None,
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
            # Saving the report and completing the step share one transaction: exactly one version per run, and
            # only while this copy holds the lease.
            repo.fence(session, scan_id, StepName.REPORT, owner=owner)
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
        task_id=task_id,
        work=work,
        on_task_state=on_task_state,
        on_console=on_console,
    )
    if outcome == StepOutcome.DONE:
        deliver_completion_webhook(settings, scan_id)
    return outcome


def release_for_retry(
    settings: Settings, scan_id: str, step: StepName, error: TechScanError, attempt: int, *, owner: str
) -> None:
    """Hand the step back cleanly before a retry so the next delivery may claim it (if this owner still holds it)."""
    with session_scope(settings) as session:
        if not repo.release_step(
            session, scan_id, step, owner=owner, lease_seconds=settings.step_lease_seconds
        ):
            return
        repo.append_event(
            session,
            scan_id,
            EventKind.WARNING,
            f"{step} attempt {attempt} failed ({error.code}): retrying",
            step=step,
            data={"code": error.code, "message": error.message},
        )


def hand_back(settings: Settings, scan_id: str, step: StepName, *, owner: str) -> None:
    """Release this owner's lease without counting the delivery (best effort: the lease expires anyway)."""
    try:
        with session_scope(settings) as session:
            if repo.release_step(
                session, scan_id, step, owner=owner, lease_seconds=settings.step_lease_seconds
            ):
                repo.append_event(
                    session,
                    scan_id,
                    EventKind.WARNING,
                    f"{step} handed back by a stopping worker",
                    step=step,
                    data={"owner": owner},
                )
    except Exception:  # noqa: BLE001 - a hand-back must never stop the process from exiting
        log.warning("scan %s: could not hand %s back; its lease will expire", scan_id, step)


def _later(step: StepName) -> tuple[StepName, ...]:
    return STEP_ORDER[STEP_ORDER.index(step) + 1 :]


def internal_error_message() -> tuple[str, str]:
    """The stable code and plain message of an unexpected failure, with a fresh reference for the log."""
    reference = uuid.uuid4().hex[:12]
    return "internal_error", f"an unexpected error stopped this step (reference {reference})"


def fail_scan(
    settings: Settings,
    scan_id: str,
    step: StepName,
    error: BaseException,
    *,
    owner: str | None = None,
    only_unfinished: bool = False,
    budget_seconds: int | None = None,
) -> bool:
    """Mark the step failed for good, later steps skipped and the scan failed with the error's code.

    With an owner, only while that owner holds the step's lease; only_unfinished (an errback that holds no lease)
    leaves alone a step whose lease is live, unless the step has run for its whole time budget (budget_seconds):
    its holder, or the reaper after expiry, decides. False when nothing
    was written.
    """
    if only_unfinished:
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
            live = repo.lease_is_live(session, scan_id, step)
            started = scan.steps[step].started_at
            budget_spent = (
                budget_seconds is not None
                and started is not None
                and (repo.database_time(session) - started).total_seconds() >= budget_seconds
            )
        if scan.status.is_final or scan.steps[step].status.is_final or (live and not budget_spent):
            return False
    if isinstance(error, TechScanError):
        code, message = error.code, error.message
        log.error("scan %s failed in %s: %s %s", scan_id, step, code, message)
    else:
        # The exception's text can hold SQL and its parameters: it goes to the log under a reference the
        # tenant sees, never to the tenant.
        code, message = internal_error_message()
        log.error("scan %s failed in %s: %s", scan_id, step, message, exc_info=error)
    with session_scope(settings) as session:
        failed = repo.fail_step_and_scan(
            session, scan_id, step, code, message[:2000], later_steps=_later(step), owner=owner
        )
    if not failed:
        log.warning("scan %s: %s not failed by %s (lease taken or already final)", scan_id, step, owner)
        return False
    deliver_completion_webhook(settings, scan_id)
    return True


def cancel_scan(
    settings: Settings, scan_id: str, *, notify: bool = True, owner: tuple[StepName, str] | None = None
) -> None:
    """End a scan whose cancel flag was seen: keep what was collected, skip what did not run.

    notify=False leaves the completion webhook to the caller (an API request must not wait on a receiver). A step
    that saw the flag passes (step, owner): the cancel is written only while it holds that step's lease.
    """
    with session_scope(settings) as session:
        if owner is not None:
            repo.fence(session, scan_id, owner[0], owner=owner[1])
        for step in STEP_ORDER:
            repo.finish_step(session, scan_id, step, StepStatus.SKIPPED, error_code="cancelled")
        repo.set_scan_status(session, scan_id, ScanStatus.CANCELLED)
        repo.append_event(
            session, scan_id, EventKind.DONE, "scan cancelled", data={"status": ScanStatus.CANCELLED}
        )
    if notify:
        deliver_completion_webhook(settings, scan_id)
