"""Test fixtures: real Redis, real celery workers, SQLite and PostgreSQL, loopback sites."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import RedisServer, free_port

# The environment every worker, CLI and server process a test starts inherits: one broker for all of them,
# and no test ever touches ~/.techscaniq. (The API's own Celery producer follows the Settings given to create_app.)
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

# Imported after the environment above is fixed: Settings read it when the fixtures run.
from techscaniq.storage.db import dispose_engines, migrate  # noqa: E402
from tests.support.databases import Database, drop_database, make_database, settings_for  # noqa: E402
from tests.support.stack import Stack, start_stack  # noqa: E402

pytest_plugins = ["tests.support.dns_fixtures"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With CI=true a skip (a missing tool) is an error, not a skip."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI", "").lower() == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database: SQLite and PostgreSQL each run the test."""
    db = make_database(request.param, tmp_path)
    migrate(settings_for(db))
    yield db
    dispose_engines()
    drop_database(db)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's private redis-server (AOF on), the broker every test uses."""
    server = RedisServer(_SESSION_DIR / "redis", port=REDIS_PORT).start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stack(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Real workers on real Redis against SQLite, then PostgreSQL (one set alive at a time)."""
    running = start_stack(request.param, redis_server, tmp_path_factory.mktemp(f"stack-{request.param}"))
    yield from _stop_after(running)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def rendering_stack(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The `stack`, with workers that render pages in the system Chromium."""
    directory = tmp_path_factory.mktemp(f"rendering-stack-{request.param}")
    yield from _stop_after(start_stack(request.param, redis_server, directory, BROWSER_ON))


def _stop_after(running: Stack) -> Iterator[Stack]:
    yield running
    running.evidence_worker.stop()
    running.report_worker.stop()
    dispose_engines()
    drop_database(running.database)
