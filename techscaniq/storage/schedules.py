"""Re-scan schedules of companies: one per company, claimed per due time by a conditional UPDATE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from techscaniq.storage.tables import company_schedules


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    """A company's re-scan schedule."""

    company_id: str
    every_days: int
    thesis: str | None
    next_due_at: datetime
    created_by_key_id: str | None
    last_scan_id: str | None
    last_error: str | None


def _from_row(row: object) -> Schedule:
    return Schedule(
        company_id=row.company_id,  # type: ignore[attr-defined]
        every_days=row.every_days,  # type: ignore[attr-defined]
        thesis=row.thesis,  # type: ignore[attr-defined]
        next_due_at=_aware(row.next_due_at),  # type: ignore[attr-defined]
        created_by_key_id=row.created_by_key_id,  # type: ignore[attr-defined]
        last_scan_id=row.last_scan_id,  # type: ignore[attr-defined]
        last_error=row.last_error,  # type: ignore[attr-defined]
    )


def get_schedule(session: Session, company_id: str) -> Schedule | None:
    """The company's schedule, if it has one."""
    row = session.execute(
        select(company_schedules).where(company_schedules.c.company_id == company_id)
    ).first()
    return _from_row(row) if row else None


def put_schedule(
    session: Session,
    company_id: str,
    *,
    every_days: int,
    thesis: str | None,
    key_id: str | None,
    now: datetime,
) -> Schedule:
    """Create or replace the schedule; the first re-scan is due `every_days` from now."""
    values = {
        "every_days": every_days,
        "thesis": thesis,
        "next_due_at": now + timedelta(days=every_days),
        "created_by_key_id": key_id,
        "updated_at": now,
    }
    changed = session.execute(
        update(company_schedules).where(company_schedules.c.company_id == company_id).values(**values)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.execute(insert(company_schedules).values(company_id=company_id, created_at=now, **values))
    schedule = get_schedule(session, company_id)
    assert schedule is not None
    return schedule


def delete_schedule(session: Session, company_id: str) -> bool:
    """Stop the company's re-scans; False when it had none."""
    result = session.execute(delete(company_schedules).where(company_schedules.c.company_id == company_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def set_next_due(session: Session, company_id: str, at: datetime) -> None:
    """Move the next due time (operators and tests)."""
    session.execute(
        update(company_schedules).where(company_schedules.c.company_id == company_id).values(next_due_at=at)
    )


def due_schedules(session: Session, now: datetime, *, limit: int = 100) -> list[Schedule]:
    """Schedules whose next re-scan is due, most overdue first."""
    rows = session.execute(
        select(company_schedules)
        .where(company_schedules.c.next_due_at <= now)
        .order_by(company_schedules.c.next_due_at, company_schedules.c.company_id)
        .limit(limit)
    ).all()
    return [_from_row(row) for row in rows]


def following_due_time(schedule: Schedule, now: datetime) -> datetime:
    """The due time after this one: a long outage owes one scan, not one per missed period."""
    step = timedelta(days=schedule.every_days)
    following = schedule.next_due_at + step
    while following <= now:
        following += step
    return following


def claim_due_time(session: Session, schedule: Schedule, *, now: datetime) -> bool:
    """Take this due time for one submitter: moves next_due_at on only if nobody moved it first."""
    following = following_due_time(schedule, now)
    return (
        session.execute(
            update(company_schedules)
            .where(
                company_schedules.c.company_id == schedule.company_id,
                company_schedules.c.next_due_at == schedule.next_due_at,
            )
            .values(next_due_at=following, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        == 1
    )


def record_outcome(session: Session, company_id: str, *, scan_id: str | None, error: str | None) -> None:
    """What the last due time produced: a scan, or the error that stopped it."""
    session.execute(
        update(company_schedules)
        .where(company_schedules.c.company_id == company_id)
        .values(last_scan_id=scan_id, last_error=error[:2000] if error else None)
    )


@dataclass(frozen=True)
class ScheduleOwner:
    """The key a schedule submits as, and its organisation."""

    key_id: str
    org_id: str
    org_name: str
    is_admin: bool
    revoked: bool


def schedule_owner(session: Session, key_id: str | None) -> ScheduleOwner | None:
    """The key that set a schedule, whether or not it is still live."""
    from techscaniq.storage.tables import api_keys, organizations

    if key_id is None:
        return None
    row = session.execute(
        select(
            api_keys.c.id, api_keys.c.org_id, organizations.c.name, api_keys.c.is_admin, api_keys.c.revoked_at
        )
        .join(organizations, organizations.c.id == api_keys.c.org_id)
        .where(api_keys.c.id == key_id)
    ).first()
    if row is None:
        return None
    return ScheduleOwner(row.id, row.org_id, row.name, bool(row.is_admin), row.revoked_at is not None)
