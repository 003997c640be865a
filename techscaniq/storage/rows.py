"""What every storage module shares: the clock, UTC-aware datetimes from either dialect and the step row."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, Float, Table, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from techscaniq.domain import Step, StepName, StepStatus

# Tests only: run this process's clock fast or slow to show that no lease or expiry depends on it.
CLOCK_SKEW = timedelta(seconds=float(os.environ.get("TECHSCANIQ_TEST_CLOCK_SKEW_SECONDS") or 0))


def utcnow() -> datetime:
    """This host's time in UTC (timezone-aware): for records only; leases and expiries use db_now()."""
    return datetime.now(UTC) + CLOCK_SKEW


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
        crashes=row.crashes,
    )


class db_now(FunctionElement[datetime]):
    """The database's clock (plus an offset in seconds) inside the statement: leases never use a host's clock."""

    type = DateTime(timezone=True)
    inherit_cache = True

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__(literal(float(seconds), Float()))


@compiles(db_now, "postgresql")
def _db_now_postgresql(element: db_now, compiler: Any, **kw: Any) -> str:
    return f"(statement_timestamp() + {compiler.process(element.clauses, **kw)} * interval '1 second')"


@compiles(db_now)
def _db_now_sqlite(element: db_now, compiler: Any, **kw: Any) -> str:
    # The text format SQLAlchemy stores DateTime in on SQLite (microseconds), so comparisons stay textual.
    return f"strftime('%Y-%m-%d %H:%M:%f000', 'now', {compiler.process(element.clauses, **kw)} || ' seconds')"


def insert_ignoring_duplicates(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, returning: Column[Any]
) -> set[Any]:
    """Insert rows, skipping any that collide on a unique key (ON CONFLICT DO NOTHING / INSERT OR IGNORE).

    Returns the `returning` column's values of the rows actually inserted.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).on_conflict_do_nothing().returning(returning)
    return set(session.execute(statement, list(rows)).scalars())


def database_time(session: Session, seconds: float = 0.0) -> datetime:
    """The database's clock now (plus an offset), UTC-aware: for cutoffs compared with db_now() timestamps."""
    value = session.execute(select(db_now(seconds))).scalar_one()
    if isinstance(value, str):  # SQLite without a declared column type hands back text
        value = datetime.fromisoformat(value)
    return _aware(value) or utcnow()
