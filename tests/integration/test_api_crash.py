"""An API process killed between its commit and its answer: a client's retry with the same Idempotency-Key gets
the one scan it created, and the scan still runs. The real API (gunicorn, as the Procfile runs it), real workers
and a private Redis; on PostgreSQL and on SQLite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from techscaniq.domain import EventKind, ScanStatus, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import idempotency_keys, scans
from tests.support.faults import Faults, no_duplicates, running_faults, start_together
from tests.support.ops import start_process, stop_process, wait_for_http
from tests.support.processes import RedisServer, free_port
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration

# The reaper looks for the message of a step that waited this long (the Redis default is 5 minutes).
QUEUE_TIMEOUT = {"TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS": "2"}


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def faults(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Faults]:
    """A stack on its own Redis server, which this test stops, kills and restarts."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        with running_faults(server, tmp_path, request.param) as running:
            yield running
    finally:
        server.stop(signal.SIGKILL)


def _start_api(faults: Faults, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "techscaniq.app:create_app()", "--config", "python:techscaniq.gunicorn_config",
        "--bind", f"127.0.0.1:{port}", "-k", "gthread", "--threads", "2",
    ]  # fmt: skip
    process = start_process(command, faults.env(), log_path)
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base_url}/api/health", process, log_path)
    return process, base_url


def _committed(faults: Faults, key: str) -> tuple[int, bool]:
    """(scans stored, whether the key's answer is stored)."""
    with session_scope(faults.settings, write=False) as session:
        count = session.execute(select(func.count()).select_from(scans)).scalar_one()
        answered = session.execute(
            select(idempotency_keys.c.response_status).where(idempotency_keys.c.key == key)
        ).scalar_one_or_none()
    return int(count), answered is not None


def test_an_api_killed_between_commit_and_answer_leaves_one_scan_that_runs(
    faults: Faults, tmp_path: Path
) -> None:
    workers = [faults.launch("evidence", **QUEUE_TIMEOUT), faults.launch("reports", **QUEUE_TIMEOUT)]
    api, base_url = _start_api(faults, tmp_path / "api-1.log")
    start_together(*workers)
    key = "crash-between-commit-and-answer"
    headers = {"Authorization": f"Bearer {faults.key}", "Idempotency-Key": key}
    broker = faults.redis.process
    assert broker is not None
    outcome: list[Any] = []
    with LoopbackSite() as site:
        body = {"company_name": "Acme Analytics", "website_url": site.url}

        def first_post() -> None:
            try:
                outcome.append(requests.post(f"{base_url}/api/scans", json=body, headers=headers, timeout=60))
            except requests.RequestException as error:
                outcome.append(error)

        # A frozen Redis holds the API inside its publish, after the commit: the rate limit gives up on Redis
        # after a second and lets the submission through, then sending the chain waits for ever.
        os.kill(broker.pid, signal.SIGSTOP)
        try:
            poster = threading.Thread(target=first_post)
            poster.start()
            faults.wait_for(
                "the scan and its key's answer to be committed", lambda: _committed(faults, key) == (1, True)
            )
            stop_process(api, signal.SIGKILL)  # the API dies between the commit and the answer
            poster.join(timeout=30)
        finally:
            # Kill the frozen Redis and start it again from its AOF: whatever the dead API had half-sent dies with
            # the connection, so the chain was never queued.
            faults.redis.stop(signal.SIGKILL)
            faults.redis.start()
        assert len(outcome) == 1 and isinstance(outcome[0], requests.RequestException), outcome
        api, base_url = _start_api(faults, tmp_path / "api-2.log")
        try:
            retry = requests.post(f"{base_url}/api/scans", json=body, headers=headers, timeout=30)
        finally:
            stop_process(api)
        assert retry.status_code == 201 and retry.headers.get("Idempotent-Replayed") == "true", retry.text
        scan_id = retry.json()["scanRequestId"]
        assert _committed(faults, key) == (1, True)  # the retry created nothing
        final = faults.wait_final(scan_id)
    events = faults.events(scan_id)
    assert final.status == ScanStatus.COMPLETED, (final, [e.message for e in events])
    # The reaper found the evidence message in no queue and sent it again, once.
    resent = [
        e
        for e in events
        if e.message == "the evidence message never reached a worker; the step was sent again"
    ]
    assert len(resent) == 1, [e.message for e in events]
    assert final.steps[StepName.EVIDENCE].deliveries == 1
    assert no_duplicates(faults.evidence_keys(scan_id))
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 1
    assert [e.message for e in events if e.kind == EventKind.DONE] == ["report ready"]
