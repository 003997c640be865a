"""Scan steps: the lease (claim, renew, release), progress, finishing, failing and the reaper's requeue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from techscaniq.domain import EventKind, ScanStatus, Step, StepName, StepStatus
from techscaniq.errors import NotFoundError
from techscaniq.storage.events import append_event
from techscaniq.storage.rows import _step_from_row, utcnow
from techscaniq.storage.scans import set_scan_status
from techscaniq.storage.tables import scan_steps


def get_step(session: Session, scan_id: str, step: StepName) -> Step:
    """One step of a scan."""
    row = session.execute(
        select(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
    ).first()
    if row is None:
        raise NotFoundError(f"scan {scan_id} has no step {step}")
    return _step_from_row(row)


def claim_step(
    session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int
) -> Step | None:
    """Take the step's lease in one conditional UPDATE; None when another live owner holds it or it is final."""
    now = utcnow()
    claimable = or_(
        scan_steps.c.status == StepStatus.WAITING,
        and_(
            scan_steps.c.status == StepStatus.ACTIVE,
            or_(
                scan_steps.c.lease_expires_at.is_(None),
                scan_steps.c.lease_expires_at < now,
                # A retry of the same task id (its lease could not be released while the database was down);
                # owners end with the task id, and the retry may run in another process.
                scan_steps.c.owner.endswith(":" + owner.rsplit(":", 1)[-1], autoescape=True),
            ),
        ),
    )
    result = session.execute(
        update(scan_steps)
        .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step, claimable)
        .values(
            status=StepStatus.ACTIVE,
            owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            deliveries=scan_steps.c.deliveries + 1,
            started_at=func.coalesce(scan_steps.c.started_at, now),
            updated_at=now,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return get_step(session, scan_id, step)


def renew_lease(session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int) -> bool:
    """Extend the lease if this owner still holds it; False means another copy took over."""
    now = utcnow()
    result = session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.owner == owner,
            scan_steps.c.status == StepStatus.ACTIVE,
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def update_step_progress(
    session: Session,
    scan_id: str,
    step: StepName,
    *,
    progress: int,
    items_collected: int | None = None,
    phase: str | None = None,
    pages_fetched: int | None = None,
) -> None:
    """Record progress; never lets the percentage go backwards."""
    values: dict[str, Any] = {
        "progress": func.max(scan_steps.c.progress, progress)
        if session.get_bind().dialect.name == "sqlite"
        else func.greatest(scan_steps.c.progress, progress),
        "updated_at": utcnow(),
    }
    if items_collected is not None:
        values["items_collected"] = items_collected
    if phase is not None:
        values["phase"] = phase
    if pages_fetched is not None:
        values["pages_fetched"] = pages_fetched
    session.execute(
        update(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step).values(**values)
    )


def finish_step(
    session: Session,
    scan_id: str,
    step: StepName,
    status: StepStatus,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
    only_if_not_final: bool = True,
) -> bool:
    """Move a step to a final status and drop its lease; returns False if it was already final."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "lease_expires_at": None,
        "owner": None,
        "updated_at": now,
        "error_code": error_code,
        "error_message": error_message,
    }
    if status == StepStatus.COMPLETED:
        values["progress"] = 100
    query = update(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
    if only_if_not_final:
        query = query.where(scan_steps.c.status.in_([StepStatus.WAITING, StepStatus.ACTIVE]))
    return bool(session.execute(query.values(**values)).rowcount == 1)  # type: ignore[attr-defined]


def release_step(session: Session, scan_id: str, step: StepName) -> None:
    """Drop the lease of an active step (a clean hand-back before a retry) and restart its crash count."""
    session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.status == StepStatus.ACTIVE,
        )
        .values(owner=None, lease_expires_at=None, deliveries=0, updated_at=utcnow())
    )


def fail_step_and_scan(
    session: Session,
    scan_id: str,
    step: StepName,
    code: str,
    message: str,
    *,
    later_steps: Sequence[StepName],
) -> None:
    """In one transaction: the step failed, the later steps skipped, the scan failed, and a done event."""
    finish_step(session, scan_id, step, StepStatus.FAILED, error_code=code, error_message=message)
    for later in later_steps:
        finish_step(session, scan_id, later, StepStatus.SKIPPED, error_code="previous_step_failed")
    set_scan_status(session, scan_id, ScanStatus.FAILED, error_code=code, error_message=message)
    append_event(
        session,
        scan_id,
        EventKind.DONE,
        f"{step} failed: {message}",
        step=step,
        data={"status": ScanStatus.FAILED, "code": code, "message": message},
    )


def reset_step(session: Session, scan_id: str, step: StepName, *, task_id: str) -> None:
    """Put a step back to waiting with a new task id and a fresh attempt (retry requests)."""
    session.execute(
        update(scan_steps)
        .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
        .values(
            status=StepStatus.WAITING,
            task_id=task_id,
            progress=0,
            phase=None,
            attempt=scan_steps.c.attempt + 1,
            deliveries=0,
            owner=None,
            lease_expires_at=None,
            started_at=None,
            finished_at=None,
            error_code=None,
            error_message=None,
            updated_at=utcnow(),
        )
    )


def requeue_expired_step(session: Session, scan_id: str, step: StepName, *, task_id: str) -> bool:
    """Put a step whose lease expired back to waiting under a new task id; only one caller wins."""
    now = utcnow()
    result = session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.status == StepStatus.ACTIVE,
            scan_steps.c.lease_expires_at < now,
        )
        .values(status=StepStatus.WAITING, task_id=task_id, owner=None, lease_expires_at=None, updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def expired_steps(session: Session, *, now: datetime | None = None) -> list[tuple[str, StepName, Step]]:
    """Active steps whose lease ran out: their worker is presumed dead."""
    now = now or utcnow()
    rows = session.execute(
        select(scan_steps).where(
            scan_steps.c.status == StepStatus.ACTIVE,
            scan_steps.c.lease_expires_at.is_not(None),
            scan_steps.c.lease_expires_at < now,
        )
    ).all()
    return [(row.scan_id, StepName(row.name), _step_from_row(row)) for row in rows]
