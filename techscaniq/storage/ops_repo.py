"""Queries for operations: aggregates for metrics and status, and the reaper's look at steps waiting for a message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from techscaniq.domain import EventKind, ScanStatus, Step, StepName, StepStatus
from techscaniq.storage.rows import _aware, _step_from_row, db_now
from techscaniq.storage.tables import evidence_items, scan_events, scan_steps, scans

# Written by pipeline.release_for_retry: "<step> attempt N failed (<code>): retrying".
RETRY_EVENT_SUFFIX = ": retrying"


@dataclass(frozen=True)
class StepCounters:
    """Per-step counters: automatic retries, redeliveries after a crash and operator re-runs."""

    retries: int = 0
    redeliveries: int = 0
    reruns: int = 0


def scans_by_status(session: Session) -> dict[str, int]:
    """The number of scans in each status (every status present, zero when none)."""
    counts = {str(status): 0 for status in ScanStatus}
    for status, count in session.execute(select(scans.c.status, func.count()).group_by(scans.c.status)):
        counts[str(status)] = int(count)
    return counts


def steps_by_status(session: Session) -> dict[tuple[str, ...], int]:
    """The number of steps per (step, status)."""
    rows = session.execute(
        select(scan_steps.c.name, scan_steps.c.status, func.count()).group_by(
            scan_steps.c.name, scan_steps.c.status
        )
    )
    return {(str(name), str(status)): int(count) for name, status, count in rows}


def finished_step_durations(session: Session) -> dict[str, list[float]]:
    """Seconds from start to finish of every completed step, per step name."""
    rows = session.execute(
        select(scan_steps.c.name, scan_steps.c.started_at, scan_steps.c.finished_at).where(
            scan_steps.c.status == StepStatus.COMPLETED,
            scan_steps.c.started_at.is_not(None),
            scan_steps.c.finished_at.is_not(None),
        )
    )
    durations: dict[str, list[float]] = {}
    for name, started, finished in rows:
        start, end = _aware(started), _aware(finished)
        if start is not None and end is not None:
            durations.setdefault(str(name), []).append(max(0.0, (end - start).total_seconds()))
    return durations


def evidence_by_category(session: Session) -> dict[str, int]:
    """Stored evidence items per category."""
    rows = session.execute(
        select(evidence_items.c.category, func.count()).group_by(evidence_items.c.category)
    )
    return {str(category): int(count) for category, count in rows}


def step_counters(session: Session) -> dict[str, StepCounters]:
    """Retries, redeliveries and re-runs per step name."""
    retries: dict[str | None, int] = dict(
        session.execute(
            select(scan_events.c.step, func.count())
            .where(
                scan_events.c.kind == EventKind.WARNING,
                scan_events.c.message.like(f"%{RETRY_EVENT_SUFFIX}"),
            )
            .group_by(scan_events.c.step)
        ).all()
    )
    extra = session.execute(
        select(
            scan_steps.c.name,
            func.sum(func.max(scan_steps.c.deliveries, 1) - 1)
            if session.get_bind().dialect.name == "sqlite"
            else func.sum(func.greatest(scan_steps.c.deliveries, 1) - 1),
            func.sum(scan_steps.c.attempt - 1),
        ).group_by(scan_steps.c.name)
    ).all()
    counters: dict[str, StepCounters] = {}
    for name, redeliveries, reruns in extra:
        counters[str(name)] = StepCounters(
            retries=int(retries.get(name, 0) or 0),
            redeliveries=int(redeliveries or 0),
            reruns=int(reruns or 0),
        )
    return counters


def failures_by_code(session: Session) -> dict[str, int]:
    """Failed scans per error code."""
    rows = session.execute(
        select(scans.c.error_code, func.count())
        .where(scans.c.status == ScanStatus.FAILED)
        .group_by(scans.c.error_code)
    )
    return {str(code or "unknown"): int(count) for code, count in rows}


# --- steps waiting for a message (the reaper) ----------------------------------------------------------------


def _waits_for_a_message() -> Any:
    # Waiting for its first (or next) delivery, or handed back before a retry whose message is on its way.
    return or_(
        scan_steps.c.status == StepStatus.WAITING,
        and_(scan_steps.c.status == StepStatus.ACTIVE, scan_steps.c.lease_expires_at.is_(None)),
    )


def steps_waiting_for_a_message(
    session: Session, order: Sequence[StepName], *, waiting_since_before: datetime
) -> list[tuple[str, StepName, Step]]:
    """Steps of unfinished scans that have waited for a message since before the cutoff.

    A step waits from its last change, or from when the step before it completed if that is later: a report step
    waits for nothing while the evidence step still runs.
    """
    final = [str(status) for status in ScanStatus if status.is_final]
    rows = session.execute(
        select(scan_steps)
        .join(scans, scans.c.id == scan_steps.c.scan_id)
        .where(
            scans.c.status.not_in(final),
            _waits_for_a_message(),
            scan_steps.c.updated_at < waiting_since_before,
        )
        .order_by(scan_steps.c.updated_at)
    ).all()
    needs_earlier = {row.scan_id for row in rows if order.index(StepName(row.name)) > 0}
    earlier: dict[tuple[str, str], tuple[str, datetime | None]] = {}
    if needs_earlier:
        for row in session.execute(
            select(
                scan_steps.c.scan_id, scan_steps.c.name, scan_steps.c.status, scan_steps.c.finished_at
            ).where(scan_steps.c.scan_id.in_(sorted(needs_earlier)))
        ):
            earlier[(row.scan_id, row.name)] = (row.status, _aware(row.finished_at))

    def earlier_done_before_cutoff(scan_id: str, step: StepName) -> bool:
        for name in order[: order.index(step)]:
            status, finished = earlier.get((scan_id, str(name)), ("", None))
            if status != StepStatus.COMPLETED or finished is None or finished >= waiting_since_before:
                return False
        return True

    return [
        (row.scan_id, StepName(row.name), _step_from_row(row))
        for row in rows
        if earlier_done_before_cutoff(row.scan_id, StepName(row.name))
    ]


def _still_waiting(scan_id: str, step: StepName, task_id: str, waiting_since_before: datetime) -> Any:
    return and_(
        scan_steps.c.scan_id == scan_id,
        scan_steps.c.name == step,
        scan_steps.c.task_id == task_id,
        scan_steps.c.updated_at < waiting_since_before,
        _waits_for_a_message(),
    )


def redispatch_waiting_step(
    session: Session,
    scan_id: str,
    step: StepName,
    *,
    task_id: str,
    new_task_id: str,
    waiting_since_before: datetime,
) -> bool:
    """Give a step whose message vanished a new task id and restart its wait; False if it moved meanwhile."""
    result = session.execute(
        update(scan_steps)
        .where(_still_waiting(scan_id, step, task_id, waiting_since_before))
        .values(
            status=StepStatus.WAITING,
            task_id=new_task_id,
            owner=None,
            lease_expires_at=None,
            updated_at=db_now(),
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def fail_waiting_step(
    session: Session,
    scan_id: str,
    step: StepName,
    *,
    task_id: str,
    waiting_since_before: datetime,
    code: str,
    message: str,
) -> bool:
    """Fail a step that still waits under this task id (the caller then fails the scan); False if it moved."""
    now = db_now()
    result = session.execute(
        update(scan_steps)
        .where(_still_waiting(scan_id, step, task_id, waiting_since_before))
        .values(
            status=StepStatus.FAILED,
            error_code=code,
            error_message=message,
            owner=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
