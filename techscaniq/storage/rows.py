"""What every storage module shares: the clock, UTC-aware datetimes from either dialect and the step row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Row

from techscaniq.domain import Step, StepName, StepStatus


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _step_from_row(row: Row[Any]) -> Step:
    return Step(
        name=StepName(row.name),
        status=StepStatus(row.status),
        task_id=row.task_id,
        progress=row.progress,
        items_collected=row.items_collected,
        pages_fetched=row.pages_fetched,
        attempt=row.attempt,
        deliveries=row.deliveries,
        owner=row.owner,
        lease_expires_at=_aware(row.lease_expires_at),
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        error_code=row.error_code,
        error_message=row.error_message,
        phase=row.phase,
    )
