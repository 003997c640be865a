"""A database per test: SQLite files and PostgreSQL schemas, and the Settings that point at them."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from techscaniq.config import Settings

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Database:
    """A database for one test (or module): its URL and, for PostgreSQL, its own schema."""

    kind: str
    url: str
    schema: str

    def env(self) -> dict[str, str]:
        """The settings that point at this database."""
        return {"DATABASE_URL": self.url, "TECHSCANIQ_DB_SCHEMA": self.schema}


def make_database(kind: str, directory: Path) -> Database:
    """A new SQLite file in the directory, or a new schema name on the test PostgreSQL server."""
    if kind == "sqlite":
        return Database("sqlite", f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}", "techscaniq")
    return Database("postgres", TEST_DATABASE_URL, f"tsq_test_{uuid.uuid4().hex[:12]}")


def drop_database(database: Database) -> None:
    """Drop a PostgreSQL test schema with everything in it (a SQLite file goes with its temporary folder)."""
    if database.kind != "postgres":
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{database.schema}" CASCADE'))
    engine.dispose()


def settings_for(database: Database, **overrides: str) -> Settings:
    """Settings built from the test environment plus this database and overrides (as env strings)."""
    return Settings.from_env({**os.environ, **database.env(), **overrides})
