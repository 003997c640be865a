"""The only Celery-aware module: thin tasks that call pipeline functions, and enqueue_steps() building the chain."""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Callable
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


def _run_step(task: Task, scan_id: str, step: StepName, step_function: StepFunction, backoff: int) -> str:
    settings = current_settings()
    owner = f"{task.request.hostname}:{os.getpid()}:{task.request.id}"

    def publish_state(state: dict[str, Any]) -> None:
        task.update_state(state="PROGRESS", meta={**state, "scan_id": scan_id, "step": str(step)})

    try:
        outcome = step_function(settings, scan_id, owner=owner, on_task_state=publish_state)
    except SoftTimeLimitExceeded:
        pipeline.fail_scan(
            settings, scan_id, step, TechScanError(f"{step} step ran out of time", code="time_limit")
        )
        raise
    except TechScanError as error:
        if error.retryable and task.request.retries < (task.max_retries or 0):
            with contextlib.suppress(StorageUnavailable):  # the database may be what failed
                pipeline.release_for_retry(settings, scan_id, step, error, task.request.retries + 1)
            raise task.retry(exc=error, countdown=backoff_seconds(backoff, task.request.retries)) from error
        pipeline.fail_scan(settings, scan_id, step, error)
        raise
    except Exception as error:
        pipeline.fail_scan(settings, scan_id, step, error)
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
def collect_evidence(self: Task, scan_id: str) -> str:
    """Collect the scan's evidence."""
    return _run_step(self, scan_id, StepName.EVIDENCE, pipeline.collect, EVIDENCE_BACKOFF_SECONDS)


@celery_app.task(
    bind=True,
    name="techscaniq.generate_report",
    max_retries=REPORT_MAX_RETRIES,
    acks_late=True,
)
def generate_report(self: Task, scan_id: str) -> str:
    """Generate the scan's report from its stored evidence."""
    return _run_step(self, scan_id, StepName.REPORT, pipeline.report, REPORT_BACKOFF_SECONDS)


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


def broker_reachable() -> bool:
    """True when a broker connection can be opened now."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:  # noqa: BLE001 - any failure means unreachable
        return False
