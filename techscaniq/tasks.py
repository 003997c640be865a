"""The only Celery-aware module: thin tasks that call pipeline functions, and enqueue_steps() building the chain."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from celery import Task, chain
from celery.exceptions import Ignore, SoftTimeLimitExceeded

from techscaniq import pipeline
from techscaniq.celery_app import celery_app
from techscaniq.config import Settings
from techscaniq.domain import StepName
from techscaniq.errors import BrokerUnavailable, StorageUnavailable, TechScanError

log = logging.getLogger(__name__)

EVIDENCE_MAX_RETRIES = 2
EVIDENCE_BACKOFF_SECONDS = 5
REPORT_MAX_RETRIES = 1
REPORT_BACKOFF_SECONDS = 10
RETRY_BACKOFF_MAX_SECONDS = 600

_settings: Settings | None = None

StepFunction = Callable[..., pipeline.StepOutcome]


def current_settings() -> Settings:
    """The worker's settings, read once per process."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def backoff_seconds(base: int, retries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(RETRY_BACKOFF_MAX_SECONDS, base * (2**retries))
    return random.uniform(base / 2, ceiling)


def task_id_for(scan_id: str, step: StepName, attempt: int, suffix: str = "") -> str:
    """The deterministic task id of a step's message (frozen on the scan row before sending)."""
    return f"{scan_id}.{step}.{attempt}{suffix}"


INFRASTRUCTURE_ERRORS = (StorageUnavailable, BrokerUnavailable)


class RetryAction(StrEnum):
    """What a step does after an error."""

    RETRY = "retry"
    FAIL = "fail"
    LEAVE_TO_REAPER = "leave_to_reaper"


def retry_action(
    *, infrastructure: bool, retryable: bool, retries: int, max_retries: int, elapsed: float, budget: float
) -> RetryAction:
    """The retry decision: infrastructure errors retry until the step's time budget is spent and never fail the
    scan (the lease then expires and the reaper decides); other retryable errors retry max_retries times."""
    if infrastructure:
        return RetryAction.RETRY if elapsed < budget else RetryAction.LEAVE_TO_REAPER
    if retryable and retries < max_retries:
        return RetryAction.RETRY
    return RetryAction.FAIL


def _step_budget(settings: Settings, step: StepName) -> int:
    return _time_limits(settings, step)["time_limit"]


def _run_step(
    task: Task,
    scan_id: str,
    step: StepName,
    step_function: StepFunction,
    backoff: int,
    retry_state: dict[str, Any] | None,
) -> str:
    settings = current_settings()
    # Unique per delivery, so a copy of the same message (same task id) elsewhere or later is another owner.
    owner = f"{task.request.hostname}:{os.getpid()}:{uuid.uuid4().hex[:8]}:{task.request.id}"
    state = {"first_seen": time.time(), "infrastructure_retries": 0, **(retry_state or {})}

    def publish_state(progress: dict[str, Any]) -> None:
        task.update_state(state="PROGRESS", meta={**progress, "scan_id": scan_id, "step": str(step)})

    def failed_for_good(error: BaseException) -> None:
        # A copy that lost the lease writes nothing and leaves quietly: no errback for what the holder still runs.
        if not pipeline.fail_scan(settings, scan_id, step, error, owner=owner):
            raise Ignore()

    try:
        outcome = step_function(
            settings, scan_id, owner=owner, task_id=task.request.id, on_task_state=publish_state
        )
    except SoftTimeLimitExceeded as error:
        failed_for_good(TechScanError(f"{step} step ran out of time", code="time_limit"))
        raise error
    except TechScanError as error:
        infrastructure = isinstance(error, INFRASTRUCTURE_ERRORS)
        action = retry_action(
            infrastructure=infrastructure,
            retryable=error.retryable,
            retries=task.request.retries - state["infrastructure_retries"],
            max_retries=task.max_retries or 0,
            elapsed=time.time() - state["first_seen"],
            budget=_step_budget(settings, step),
        )
        if action == RetryAction.RETRY:
            with contextlib.suppress(TechScanError):  # the database may be what failed
                pipeline.release_for_retry(
                    settings, scan_id, step, error, task.request.retries + 1, owner=owner
                )
            if infrastructure:
                state["infrastructure_retries"] += 1
            raise task.retry(
                exc=error,
                countdown=backoff_seconds(backoff, min(task.request.retries, 6)),
                max_retries=None,
                kwargs={"retry_state": state},
            ) from error
        if action == RetryAction.LEAVE_TO_REAPER:
            log.warning("scan %s: %s gives up retrying %s; the reaper takes over", scan_id, step, error.code)
            raise Ignore() from error
        failed_for_good(error)
        raise
    except Exception as error:
        failed_for_good(error)
        raise
    if outcome in {pipeline.StepOutcome.DONE, pipeline.StepOutcome.ALREADY_DONE}:
        return str(outcome)
    log.info("scan %s step %s not run here: %s", scan_id, step, outcome)
    # Ignore acknowledges the message and stops the chain: nothing after a cancelled or held step runs.
    raise Ignore()


@celery_app.task(
    bind=True,
    name="techscaniq.collect_evidence",
    max_retries=EVIDENCE_MAX_RETRIES,
    acks_late=True,
)
def collect_evidence(self: Task, scan_id: str, retry_state: dict[str, Any] | None = None) -> str:
    """Collect the scan's evidence."""
    return _run_step(
        self, scan_id, StepName.EVIDENCE, pipeline.collect, EVIDENCE_BACKOFF_SECONDS, retry_state
    )


@celery_app.task(
    bind=True,
    name="techscaniq.generate_report",
    max_retries=REPORT_MAX_RETRIES,
    acks_late=True,
)
def generate_report(self: Task, scan_id: str, retry_state: dict[str, Any] | None = None) -> str:
    """Generate the scan's report from its stored evidence."""
    return _run_step(self, scan_id, StepName.REPORT, pipeline.report, REPORT_BACKOFF_SECONDS, retry_state)


@celery_app.task(name="techscaniq.mark_scan_failed", acks_late=True)
def mark_scan_failed(scan_id: str, step: str) -> None:
    """Errback of every chain link: the step died without handling its error (e.g. a hard time limit)."""
    settings = current_settings()
    pipeline.fail_scan(
        settings,
        scan_id,
        StepName(step),
        TechScanError(f"the {step} task failed in its worker", code="worker_failed"),
        only_unfinished=True,
        budget_seconds=_step_budget(settings, StepName(step)),
    )


@celery_app.task(name="techscaniq.deliver_webhook", acks_late=True)
def deliver_webhook(scan_id: str) -> None:
    """Deliver a scan's completion webhook from a worker (for scans ended by an API request)."""
    from techscaniq.webhooks import deliver_completion_webhook

    deliver_completion_webhook(current_settings(), scan_id)


def enqueue_webhook(scan_id: str) -> None:
    """Queue the completion webhook of a scan the API ended; a broker outage only loses the notification."""
    try:
        deliver_webhook.apply_async((scan_id,))
    except Exception:  # noqa: BLE001 - the scan itself is already stored; the notification is best effort here
        log.warning("could not queue the completion webhook of scan %s", scan_id)


def _time_limits(settings: Settings, step: StepName) -> dict[str, int]:
    hard = (
        settings.evidence_time_limit_seconds
        if step == StepName.EVIDENCE
        else settings.report_time_limit_seconds
    )
    return {"time_limit": hard, "soft_time_limit": max(1, hard - min(300, hard // 10))}


def step_signature(settings: Settings, scan_id: str, step: StepName, task_id: str) -> Any:
    """The immutable signature of one step with its frozen task id and its errback."""
    task = collect_evidence if step == StepName.EVIDENCE else generate_report
    return (
        task.si(scan_id)
        .set(task_id=task_id, **_time_limits(settings, step))
        .on_error(mark_scan_failed.si(scan_id, str(step)))
    )


def enqueue_steps(settings: Settings, scan_id: str, task_ids: dict[StepName, str]) -> None:
    """Send the chain of the given steps (in pipeline order); BrokerUnavailable if the broker is down."""
    signatures = [
        step_signature(settings, scan_id, step, task_ids[step])
        for step in pipeline.STEP_ORDER
        if step in task_ids
    ]
    try:
        chain(*signatures).apply_async()
    except Exception as error:  # kombu raises several connection error types
        raise BrokerUnavailable(f"the task broker cannot be reached: {error}") from error


def live_state(task_id: str) -> dict[str, Any] | None:
    """The PROGRESS meta of a running task from the result backend, or None (never raises)."""
    try:
        # The backend read alone: an AsyncResult would subscribe to the result channel for nothing.
        meta = celery_app.backend.get_task_meta(task_id)
        if meta.get("status") == "PROGRESS" and isinstance(meta.get("result"), dict):
            return dict(meta["result"])
    except Exception:  # noqa: BLE001 - the overlay is optional; the database is the source of truth
        return None
    return None


LIVE_STATE_TIMEOUT_SECONDS = 0.5
_live_reader: Any = None


def _live_state_reader() -> Any:
    # The result backend retries a lost Redis for minutes; the status overlay must answer at once instead.
    global _live_reader
    if _live_reader is None:
        import redis

        _live_reader = redis.Redis.from_url(
            str(celery_app.conf.result_backend),
            socket_timeout=LIVE_STATE_TIMEOUT_SECONDS,
            socket_connect_timeout=LIVE_STATE_TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
    return _live_reader


def read_live_state(task_id: str) -> tuple[dict[str, Any] | None, bool]:
    """(PROGRESS meta of a running task or None, whether the result backend answered within 0.5 s)."""
    backend_url = str(celery_app.conf.result_backend or "")
    if not backend_url.startswith(("redis://", "rediss://", "unix://")):
        return live_state(task_id), True  # a local backend (the embedded SQLite one) answers at once
    try:
        raw = _live_state_reader().get(celery_app.backend.get_key_for_task(task_id))
    except Exception:  # noqa: BLE001 - Redis slow or down: answer from the database, saying so
        return None, False
    if not raw:
        return None, True
    try:
        meta = celery_app.backend.decode_result(raw)
    except Exception:  # noqa: BLE001 - an unreadable entry is no live state
        return None, True
    if meta.get("status") == "PROGRESS" and isinstance(meta.get("result"), dict):
        return dict(meta["result"]), True
    return None, True


def broker_reachable() -> bool:
    """True when a broker connection can be opened now."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return False
