"""Engines, sessions and migrations for SQLite (the default) and PostgreSQL/Supabase."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from techscaniq.config import Settings
from techscaniq.errors import StorageUnavailable

SQLITE_BUSY_TIMEOUT_MILLISECONDS = 30_000
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def _enable_sqlite_wal(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that writers can start with BEGIN IMMEDIATE:
        # a deferred transaction that later upgrades to a write fails with "database is locked" at once.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MILLISECONDS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("sqlite_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(settings: Settings) -> Engine:
    """A new engine for the configured database (SQLite in WAL mode, or PostgreSQL in its own schema)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MILLISECONDS / 1000})
        _enable_sqlite_wal(engine)
        return engine
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        # Supabase's transaction pooler (PgBouncer/Supavisor) cannot keep prepared statements.
        connect_args={"prepare_threshold": None, "connect_timeout": 10},
    )
    return engine.execution_options(schema_translate_map={None: settings.db_schema})


def get_engine(settings: Settings) -> Engine:
    """The process-wide engine for these settings (created on first use; importing connects to nothing)."""
    key = (settings.database_url, settings.db_schema)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = make_engine(settings)
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (after fork, and in tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()


@contextmanager
def session_scope(settings: Settings, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error; database outages become StorageUnavailable."""
    engine = get_engine(settings)
    if write:
        engine = engine.execution_options(sqlite_write=True)
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        if _is_connection_problem(exc):
            raise StorageUnavailable(f"database unavailable: {exc.orig!s}"[:500]) from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _is_connection_problem(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    message = str(exc.orig).lower()
    return any(
        phrase in message
        for phrase in ("connection", "could not connect", "server closed", "terminating", "timeout", "locked")
    )


def ping(settings: Settings) -> None:
    """Raise StorageUnavailable unless the database answers."""
    with session_scope(settings, write=False) as session:
        session.execute(text("SELECT 1"))


def migrate(settings: Settings) -> str:
    """Bring the database to the latest schema (idempotent); returns the revision now current."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = get_engine(settings)
    with engine.begin() as connection:
        if settings.is_postgres:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.db_schema}"'))
            # Alembic renders ALTER TABLE names itself, outside the schema translation map.
            connection.execute(text(f'SET LOCAL search_path TO "{settings.db_schema}"'))
        config.attributes["connection"] = connection
        config.attributes["version_table_schema"] = settings.db_schema if settings.is_postgres else None
        command.upgrade(config, "head")
        context = MigrationContext.configure(
            connection,
            opts={"version_table_schema": config.attributes["version_table_schema"]},
        )
        return context.get_current_revision() or ""
