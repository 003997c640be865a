"""Scale and shutdown with real processes: two evidence workers run two scans at once; SIGTERM loses nothing."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from flask.testing import FlaskClient

from techscaniq.app import create_app
from techscaniq.celery_app import celery_app
from techscaniq.config import Settings
from techscaniq.domain import StepName, StepStatus
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.support.api import submit_scan
from tests.support.processes import RedisServer, Worker
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration

SCAN_WAIT_SECONDS = 120
SLOW_HOME_SECONDS = 3.0


HAND_BACK_WINDOW_SECONDS = 2
# Longer than the soft-shutdown window, so the crawl is still on the wire when the window closes.
HAND_BACK_HOME_SECONDS = 8.0
# Longer than the whole test: the lease reaper cannot be what recovers the scan, only the handed-back message.
HAND_BACK_LEASE_SECONDS = 600


def _evidence_keys(settings: Settings, scan_id: str) -> list[tuple[str, str]]:
    """(type, dedup key) of every stored item of a scan, duplicates included."""
    with session_scope(settings, write=False) as session:
        return sorted((item.type, item.dedup_key) for item in repo.all_evidence(session, scan_id))


# Runs before the tests below: their module-scoped workers would otherwise consume this test's messages.
def test_a_stop_after_the_soft_shutdown_window_hands_the_scan_back_to_another_worker(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_client.Redis.from_url(redis_server.url).flushall()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'hand-back.db'}",
        "TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS": str(HAND_BACK_WINDOW_SECONDS),
        "TECHSCANIQ_STEP_LEASE_SECONDS": str(HAND_BACK_LEASE_SECONDS),
        # As the Procfile runs workers: SIGTERM starts the soft-shutdown window instead of an unbounded wait.
        "REMAP_SIGTERM": "SIGQUIT",
    }
    settings = Settings.from_env(env)
    assert settings.worker_soft_shutdown_seconds == HAND_BACK_WINDOW_SECONDS
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Hand Back Partners", label="tests", is_admin=False)
    client = create_app(settings).test_client()
    workers: list[Worker] = []
    try:
        first = Worker("evidence", env, tmp_path / "first.log", name="first@%h").start()
        workers += [first, Worker("reports", env, tmp_path / "reports.log", name="rep@%h").start()]
        with LoopbackSite(home_delay_seconds=HAND_BACK_HOME_SECONDS) as slow:
            scan_id = submit_scan(client, key, slow.url)
            deadline = time.monotonic() + SCAN_WAIT_SECONDS
            while "/" not in slow.requests:  # the crawl is fetching the slow home page
                assert time.monotonic() < deadline, first.log()[-3000:]
                time.sleep(0.05)
            with session_scope(settings, write=False) as session:
                running = repo.get_scan(session, scan_id).steps[StepName.EVIDENCE]
            assert str(running.owner).startswith("first@") and running.deliveries == 1
            assert first.process is not None
            os.kill(first.process.pid, signal.SIGTERM)
            first.process.wait(timeout=90)
            first.stop()  # nothing of its process group may linger
            log = first.log()
            with session_scope(settings, write=False) as session:
                stopped = repo.get_scan(session, scan_id).steps[StepName.EVIDENCE]
            # The window closed before the crawl could finish: the step was cut short, not completed.
            assert stopped.status != StepStatus.COMPLETED, log[-3000:]
            assert (
                f"Initiating Soft Shutdown, terminating in {float(HAND_BACK_WINDOW_SECONDS)} seconds" in log
            )
            assert "Restoring 1 unacknowledged message(s)" in log, log[-3000:]
            second = Worker("evidence", env, tmp_path / "second.log", name="second@%h").start()
            workers.append(second)
            deadline = time.monotonic() + SCAN_WAIT_SECONDS
            while True:
                with session_scope(settings, write=False) as session:
                    scan = repo.get_scan(session, scan_id)
                if scan.status.is_final:
                    break
                assert time.monotonic() < deadline, f"{scan}\n{second.log()[-3000:]}"
                time.sleep(0.1)
        assert scan.status == "completed", scan
        keys = _evidence_keys(settings, scan_id)
        assert keys and len(keys) == len(set(keys))
        with session_scope(settings, write=False) as session:
            assert repo.count_reports(session, scan_id) == 1
        # The second worker ran the very message the first handed back (same frozen task id, second delivery).
        evidence_step = scan.steps[StepName.EVIDENCE]
        assert evidence_step.task_id == running.task_id and evidence_step.deliveries == 2
        # The terminated pool child handed its lease back on its way out: no crash counted toward poison.
        with session_scope(settings, write=False) as session:
            messages = [event.message for event in repo.list_events(session, scan_id)]
        assert "evidence handed back by a stopping worker" in messages
        assert f"collect_evidence[{running.task_id}] succeeded" in second.log()
    finally:
        for worker in workers:
            worker.stop()
        dispose_engines()


@dataclass
class Scaled:
    """Two evidence workers, one report worker and the API's test client."""

    settings: Settings
    client: FlaskClient
    key: str
    evidence: dict[str, Worker]
    report: Worker


@pytest.fixture(scope="module")
def scaled(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    directory = tmp_path_factory.mktemp("ops-scaled")
    redis_client.Redis.from_url(redis_server.url).flushall()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{directory / 'scaled.db'}"}
    settings = Settings.from_env(env)
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Scale Partners", label="tests", is_admin=False)
    evidence: dict[str, Worker] = {}
    report = None
    try:
        for name in ("ev-a", "ev-b"):
            evidence[name] = Worker("evidence", env, directory / f"{name}.log", name=f"{name}@%h").start()
        report = Worker("reports", env, directory / "reports.log", name="rep@%h").start()
        yield Scaled(settings, create_app(settings).test_client(), key, evidence, report)
    finally:
        for worker in [*evidence.values(), report]:
            if worker is not None:
                worker.stop()
        dispose_engines()


def _submit(scaled: Scaled, url: str) -> str:
    return submit_scan(scaled.client, scaled.key, url)


def _status(scaled: Scaled, scan_id: str) -> dict[str, Any]:
    response = scaled.client.get(
        f"/api/scans/{scan_id}/status", headers={"Authorization": f"Bearer {scaled.key}"}
    )
    assert response.status_code == 200
    return dict(response.get_json())


def _wait_final(scaled: Scaled, scan_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + SCAN_WAIT_SECONDS
    while True:
        current = _status(scaled, scan_id)
        if current["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
            return current
        logs = "\n".join(f"--- {n} ---\n{w.log()[-2000:]}" for n, w in scaled.evidence.items())
        assert time.monotonic() < deadline, f"{current}\n{logs}"
        time.sleep(0.1)


def _evidence_worker_of(scaled: Scaled, scan_id: str) -> str:
    """The worker (by name prefix) that ran the scan's evidence step, from the result backend."""
    with session_scope(scaled.settings, write=False) as session:
        task_id = repo.get_scan(session, scan_id).steps[StepName.EVIDENCE].task_id
    return str(celery_app.backend.get_task_meta(task_id)["worker"]).split("@")[0]


def test_a_second_evidence_worker_runs_a_second_scan_at_the_same_time(scaled: Scaled) -> None:
    with (
        LoopbackSite(home_delay_seconds=SLOW_HOME_SECONDS) as first,
        LoopbackSite(home_delay_seconds=SLOW_HOME_SECONDS) as second,
    ):
        scan_ids = [_submit(scaled, first.url), _submit(scaled, second.url)]
        deadline = time.monotonic() + SCAN_WAIT_SECONDS
        both_active = False
        while not both_active:
            steps = [
                _status(scaled, scan_id)["progress"]["evidenceCollection"]["status"] for scan_id in scan_ids
            ]
            both_active = steps == ["active", "active"]
            assert "completed" not in steps or both_active, (
                f"one scan finished before the other started: {steps}"
            )
            assert time.monotonic() < deadline, steps
            time.sleep(0.05)
        finals = [_wait_final(scaled, scan_id) for scan_id in scan_ids]
    assert [final["scanRequest"]["status"] for final in finals] == ["completed", "completed"]
    assert {_evidence_worker_of(scaled, scan_id) for scan_id in scan_ids} == {"ev-a", "ev-b"}


def test_sigterm_mid_scan_stops_taking_work_and_the_running_scan_completes(scaled: Scaled) -> None:
    with LoopbackSite(home_delay_seconds=SLOW_HOME_SECONDS) as slow, LoopbackSite() as fast:
        running = _submit(scaled, slow.url)
        deadline = time.monotonic() + SCAN_WAIT_SECONDS
        owner = None
        while owner is None:
            with session_scope(scaled.settings, write=False) as session:
                owner = repo.get_scan(session, running).steps[StepName.EVIDENCE].owner
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stopping_name = owner.split("@")[0]
        stopping = scaled.evidence[stopping_name]
        other_name = next(name for name in scaled.evidence if name != stopping_name)
        assert stopping.process is not None
        # What a platform does at a redeploy: SIGTERM to the worker's main process only.
        os.kill(stopping.process.pid, signal.SIGTERM)
        later = _submit(scaled, fast.url)
        finals = {scan_id: _wait_final(scaled, scan_id) for scan_id in (running, later)}
        exit_code = stopping.process.wait(timeout=90)
    stopping.process = None
    assert exit_code == 0
    assert all(final["scanRequest"]["status"] == "completed" for final in finals.values()), finals
    # The stopping worker took nothing new; the scan submitted after SIGTERM ran on the other worker.
    assert _evidence_worker_of(scaled, later) == other_name
    # The running scan was not lost: it finished in the soft-shutdown window, or was handed back and resumed.
    log = stopping.log()
    finished_in_window = _evidence_worker_of(scaled, running) == stopping_name
    handed_back = "Restoring 1 unacknowledged message(s)" in log
    assert finished_in_window or handed_back, log[-3000:]
    assert "Warm shutdown" in log or "Soft Shutdown" in log
    with session_scope(scaled.settings, write=False) as session:
        assert repo.count_evidence(session, running) > 0
        assert repo.count_reports(session, running) == 1
