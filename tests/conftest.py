"""Test fixtures: real Redis, real celery workers, SQLite and PostgreSQL, loopback sites."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import RedisServer, Worker, free_port

# Fixed before anything imports techscaniq, so the API's Celery producer and every worker agree on one broker,
# and no test ever touches ~/.techscaniq.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="techscaniq-tests-"))
REDIS_PORT = free_port()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
os.environ["TECHSCANIQ_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ["DATABASE_URL"] = f"sqlite:///{_SESSION_DIR / 'default.db'}"
os.environ["TECHSCANIQ_ALLOW_NETWORKS"] = "127.0.0.0/24"
os.environ.setdefault("TECHSCANIQ_STEP_LEASE_SECONDS", "20")
os.environ.setdefault("TECHSCANIQ_REAPER_INTERVAL_SECONDS", "5")
os.environ.pop("CELERY_RESULT_BACKEND", None)
# Rendering costs seconds per page: scans render only in the tests that ask for it (a `stack` with BROWSER_ON).
os.environ["TECHSCANIQ_BROWSER"] = "off"
BROWSER_ON = {"TECHSCANIQ_BROWSER": "auto"}

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytest_plugins = ["tests.support.dns_fixtures"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With CI=true a skip (a missing tool) is an error, not a skip."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI", "").lower() == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"


@dataclass(frozen=True)
class Database:
    """A database for one test (or module): its URL and, for PostgreSQL, its own schema."""

    kind: str
    url: str
    schema: str

    def env(self) -> dict[str, str]:
        """The settings that point at this database."""
        return {"DATABASE_URL": self.url, "TECHSCANIQ_DB_SCHEMA": self.schema}


def _make_database(kind: str, directory: Path) -> Database:
    if kind == "sqlite":
        return Database("sqlite", f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}", "techscaniq")
    return Database("postgres", TEST_DATABASE_URL, f"tsq_test_{uuid.uuid4().hex[:12]}")


def _drop_database(database: Database) -> None:
    if database.kind != "postgres":
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(database.url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{database.schema}" CASCADE'))
    engine.dispose()


def settings_for(database: Database, **overrides: str) -> object:
    """Settings built from the test environment plus this database and overrides (as env strings)."""
    from techscaniq.config import Settings

    env = {**os.environ, **database.env(), **overrides}
    return Settings.from_env(env)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database: SQLite and PostgreSQL each run the test."""
    from techscaniq.storage.db import migrate

    db = _make_database(request.param, tmp_path)
    migrate(settings_for(db))  # type: ignore[arg-type]
    yield db
    from techscaniq.storage.db import dispose_engines

    dispose_engines()
    _drop_database(db)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's private redis-server (AOF on), the broker every test uses."""
    server = RedisServer(_SESSION_DIR / "redis", port=REDIS_PORT).start()
    yield server
    server.stop()


@dataclass
class Stack:
    """A running system: database, Redis, one worker per queue and the API's test client."""

    database: Database
    redis: RedisServer
    evidence_worker: Worker
    report_worker: Worker
    env: dict[str, str]
    settings: object
    client: object
    admin_key: str


def _start_stack(
    kind: str, redis_server: RedisServer, directory: Path, extra_env: dict[str, str] | None = None
) -> Stack:
    import redis as redis_client

    from techscaniq.app import create_app
    from techscaniq.storage import repo
    from techscaniq.storage.db import migrate, session_scope

    redis_client.Redis.from_url(redis_server.url).flushall()
    db = _make_database(kind, directory)
    env = {**os.environ, **db.env(), **(extra_env or {})}
    settings = settings_for(db, **(extra_env or {}))
    migrate(settings)  # type: ignore[arg-type]
    with session_scope(settings) as session:  # type: ignore[arg-type]
        _, admin_key = repo.create_api_key(session, "Admin Org", label="tests", is_admin=True)
    evidence = Worker("evidence", env, directory / f"{kind}-evidence.log", name=f"evidence-{kind}@%h").start()
    report = Worker("reports", env, directory / f"{kind}-reports.log", name=f"reports-{kind}@%h").start()
    app = create_app(settings)  # type: ignore[arg-type]
    return Stack(db, redis_server, evidence, report, env, settings, app.test_client(), admin_key)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Real workers on real Redis against SQLite, then PostgreSQL (one set alive at a time)."""
    running = _start_stack(request.param, redis_server, tmp_path_factory.mktemp(f"stack-{request.param}"))
    yield from _stop_after(running)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def rendering_stack(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The `stack`, with workers that render pages in the system Chromium."""
    directory = tmp_path_factory.mktemp(f"rendering-stack-{request.param}")
    yield from _stop_after(_start_stack(request.param, redis_server, directory, BROWSER_ON))


def _stop_after(running: Stack) -> Iterator[Stack]:
    yield running
    running.evidence_worker.stop()
    running.report_worker.stop()
    from techscaniq.storage.db import dispose_engines

    dispose_engines()
    _drop_database(running.database)
