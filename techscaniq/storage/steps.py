"""Scan steps: the lease (claim, renew, release), progress, finishing, failing and the reaper's requeue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from techscaniq.domain import EventKind, ScanStatus, Step, StepName, StepStatus
from techscaniq.errors import NotFoundError, StepLeaseTaken
from techscaniq.storage.events import append_event
from techscaniq.storage.rows import _step_from_row, db_now
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


def _held_by(scan_id: str, step: StepName, owner: str) -> Any:
    return and_(
        scan_steps.c.scan_id == scan_id,
        scan_steps.c.name == step,
        scan_steps.c.owner == owner,
        scan_steps.c.status == StepStatus.ACTIVE,
    )


def _claimable(task_id: str | None) -> Any:
    # Waiting; or active with no live lease: handed back (no owner) or its holder stopped renewing (expired).
    condition = or_(
        scan_steps.c.status == StepStatus.WAITING,
        and_(
            scan_steps.c.status == StepStatus.ACTIVE,
            or_(
                scan_steps.c.owner.is_(None),
                scan_steps.c.lease_expires_at.is_(None),
                scan_steps.c.lease_expires_at < db_now(),
            ),
        ),
    )
    # Only the step's current message may run it: a copy of a message the reaper replaced is stale.
    return condition if task_id is None else and_(condition, scan_steps.c.task_id == task_id)


def claim_step(
    session: Session,
    scan_id: str,
    step: StepName,
    *,
    owner: str,
    lease_seconds: int,
    task_id: str | None = None,
) -> Step | None:
    """Take the step's lease in one conditional UPDATE; None when a live owner holds it, it is final or stale.

    A live lease is never taken over, whoever asks: owners are unique per delivery, and a holder that hands back
    releases its lease first. Every claim counts a delivery; progress and clean hand-backs take it back.
    """
    result = session.execute(
        update(scan_steps)
        .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step, _claimable(task_id))
        .values(
            status=StepStatus.ACTIVE,
            owner=owner,
            lease_expires_at=db_now(lease_seconds),
            deliveries=scan_steps.c.deliveries + 1,
            # Presumed a crash until this delivery stores progress or hands the step back cleanly.
            crashes=scan_steps.c.crashes + 1,
            started_at=func.coalesce(scan_steps.c.started_at, db_now()),
            updated_at=db_now(),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return get_step(session, scan_id, step)


def lease_is_live(session: Session, scan_id: str, step: StepName) -> bool:
    """True when an owner holds the step's lease and it has not expired by the database's clock."""
    return (
        session.execute(
            select(scan_steps.c.name).where(
                scan_steps.c.scan_id == scan_id,
                scan_steps.c.name == step,
                scan_steps.c.status == StepStatus.ACTIVE,
                scan_steps.c.owner.is_not(None),
                scan_steps.c.lease_expires_at >= db_now(),
            )
        ).first()
        is not None
    )


def renew_lease(session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int) -> bool:
    """Extend the lease if this owner still holds it; False means another copy took over."""
    result = session.execute(
        update(scan_steps)
        .where(_held_by(scan_id, step, owner))
        .values(lease_expires_at=db_now(lease_seconds), updated_at=db_now())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def fence(session: Session, scan_id: str, step: StepName, *, owner: str, progress: bool = False) -> None:
    """Open a step's write: StepLeaseTaken unless this owner holds the lease; the row stays locked until commit.

    The first statement of every transaction a step writes in. On PostgreSQL the UPDATE holds the row lock, so no
    claim or reaper can take the lease before the transaction ends; SQLite serialises writers anyway. progress=True
    (stored evidence) means this delivery made real progress: it no longer counts toward the poison limit.
    """
    values: dict[str, Any] = {"updated_at": db_now()}
    if progress:
        values["crashes"] = 0
    result = session.execute(update(scan_steps).where(_held_by(scan_id, step, owner)).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StepLeaseTaken(f"{step} of scan {scan_id} is no longer held by {owner}")


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
        "updated_at": db_now(),
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
    owner: str | None = None,
    only_expired: bool = False,
) -> bool:
    """Move a step to a final status and drop its lease; False if it was already final (or owner lost it)."""
    values: dict[str, Any] = {
        "status": status,
        "finished_at": db_now(),
        "lease_expires_at": None,
        "owner": None,
        "updated_at": db_now(),
        "error_code": error_code,
        "error_message": error_message,
    }
    if status == StepStatus.COMPLETED:
        values["progress"] = 100
    query = update(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
    if only_if_not_final:
        query = query.where(scan_steps.c.status.in_([StepStatus.WAITING, StepStatus.ACTIVE]))
    if owner is not None:
        query = query.where(scan_steps.c.owner == owner)
    if only_expired:
        query = query.where(scan_steps.c.lease_expires_at < db_now())
    return bool(session.execute(query.values(**values)).rowcount == 1)  # type: ignore[attr-defined]


def release_step(session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int) -> bool:
    """Hand the step back cleanly (before a retry, or a worker's shutdown): the next delivery of its message may
    claim it at once, and the delivery does not count toward the poison limit. False when the owner lost it.

    The lease keeps an expiry, so if that message never comes (a broker that lost it while the worker handed
    back), the reaper re-dispatches the step as if its worker had died.
    """
    result = session.execute(
        update(scan_steps)
        .where(_held_by(scan_id, step, owner))
        .values(
            owner=None,
            lease_expires_at=db_now(lease_seconds),
            crashes=func.max(scan_steps.c.crashes - 1, 0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(scan_steps.c.crashes - 1, 0),
            updated_at=db_now(),
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def fail_step_and_scan(
    session: Session,
    scan_id: str,
    step: StepName,
    code: str,
    message: str,
    *,
    later_steps: Sequence[StepName],
    owner: str | None = None,
    only_expired: bool = False,
) -> bool:
    """In one transaction: the step failed, the later steps skipped, the scan failed, and a done event.

    With an owner, only while that owner holds the lease. False (and nothing written) when the step was already
    final or the owner lost it: several callers racing to fail one step append one event. only_expired (the
    reaper): only while that owner's lease has expired by the database's clock.
    """
    if not finish_step(
        session,
        scan_id,
        step,
        StepStatus.FAILED,
        error_code=code,
        error_message=message,
        owner=owner,
        only_expired=only_expired,
    ):
        return False
    fail_scan_after_step(session, scan_id, step, code, message, later_steps=later_steps)
    return True


def fail_scan_after_step(
    session: Session,
    scan_id: str,
    step: StepName,
    code: str,
    message: str,
    *,
    later_steps: Sequence[StepName],
) -> None:
    """The rest of a failure once the step itself was failed (conditionally, by the caller): later steps skipped,
    the scan failed, a done event."""
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
            crashes=0,
            owner=None,
            lease_expires_at=None,
            started_at=None,
            finished_at=None,
            error_code=None,
            error_message=None,
            updated_at=db_now(),
        )
    )


def requeue_expired_step(
    session: Session, scan_id: str, step: StepName, *, task_id: str, owner: str | None = None
) -> bool:
    """Put a step whose lease expired back to waiting under a new task id; only one caller wins.

    With owner, only if that expired owner still holds it (the reaper passes the owner it saw).
    """
    query = update(scan_steps).where(
        scan_steps.c.scan_id == scan_id,
        scan_steps.c.name == step,
        scan_steps.c.status == StepStatus.ACTIVE,
        scan_steps.c.lease_expires_at < db_now(),
    )
    if owner is not None:
        query = query.where(scan_steps.c.owner == owner)
    result = session.execute(
        query.values(
            status=StepStatus.WAITING, task_id=task_id, owner=None, lease_expires_at=None, updated_at=db_now()
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def expired_steps(session: Session, *, limit: int = 100) -> list[tuple[str, StepName, Step]]:
    """Active steps whose lease ran out by the database's clock: their worker is presumed dead."""
    rows = session.execute(
        select(scan_steps)
        .where(
            scan_steps.c.status == StepStatus.ACTIVE,
            scan_steps.c.lease_expires_at.is_not(None),
            scan_steps.c.lease_expires_at < db_now(),
        )
        .order_by(scan_steps.c.lease_expires_at)
        .limit(limit)
    ).all()
    return [(row.scan_id, StepName(row.name), _step_from_row(row)) for row in rows]
