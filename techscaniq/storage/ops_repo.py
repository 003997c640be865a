"""Read-only aggregate queries for operations: metrics and status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from techscaniq.domain import EventKind, ScanStatus, StepStatus
from techscaniq.storage.repo import _aware
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
