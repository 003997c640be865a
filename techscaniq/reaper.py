"""The in-worker reaper: re-dispatches steps whose worker died (expired lease) and fails poison steps."""

from __future__ import annotations

import logging
import threading

from techscaniq.config import Settings
from techscaniq.domain import EventKind, StepName
from techscaniq.errors import TechScanError
from techscaniq.retention import delete_expired_scans
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

log = logging.getLogger(__name__)

_stop = threading.Event()
_thread: threading.Thread | None = None


def reap_once(settings: Settings, *, dispatch: bool = True) -> list[tuple[str, StepName, str]]:
    """One pass: returns (scan_id, step, action) for every expired step it handled."""
    from techscaniq import pipeline, tasks

    handled: list[tuple[str, StepName, str]] = []
    with session_scope(settings, write=False) as session:
        expired = repo.expired_steps(session)
    for scan_id, step, state in expired:
        if state.deliveries >= settings.max_step_deliveries:
            pipeline.fail_scan(
                settings,
                scan_id,
                step,
                TechScanError(
                    f"the {step} step was delivered {state.deliveries} times and never finished",
                    code="poison",
                ),
            )
            handled.append((scan_id, step, "poison"))
            continue
        new_task_id = tasks.task_id_for(scan_id, step, state.attempt, suffix=f".r{state.deliveries}")
        with session_scope(settings) as session:
            if not repo.requeue_expired_step(session, scan_id, step, task_id=new_task_id):
                continue
            scan = repo.get_scan(session, scan_id)
            repo.append_event(
                session,
                scan_id,
                EventKind.WARNING,
                f"{step} worker stopped answering; the step was handed to another worker",
                step=step,
                data={"task_id": new_task_id, "deliveries": state.deliveries},
            )
        if dispatch:
            task_ids = {name: scan.steps[name].task_id for name in pipeline.STEP_ORDER}
            later = pipeline.STEP_ORDER[pipeline.STEP_ORDER.index(step) :]
            tasks.enqueue_steps(settings, scan_id, {name: task_ids[name] for name in later})
        handled.append((scan_id, step, "redispatched"))
        log.warning("reaper re-dispatched %s of scan %s as %s", step, scan_id, new_task_id)
    return handled


def start_reaper(*, hostname: str) -> None:
    """Start the reaper thread in this worker process (once)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    settings = Settings.from_env()
    _stop.clear()

    def loop() -> None:
        while not _stop.wait(settings.reaper_interval_seconds):
            try:
                reap_once(settings)
                delete_expired_scans(settings)
            except Exception:  # the reaper must outlive database and broker blips
                log.exception("reaper pass failed on %s", hostname)

    _thread = threading.Thread(target=loop, name="techscaniq-reaper", daemon=True)
    _thread.start()


def stop_reaper() -> None:
    """Stop the reaper thread."""
    _stop.set()
