"""The Procfile really runs: honcho runs the release step, then web and both workers, and a scan completes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis as redis_client

from techscaniq.config import Settings
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, session_scope
from tests.support.ops import (
    REPO_ROOT,
    read_log,
    start_procfile,
    stop_process,
    submit_scan_http,
    wait_for_procfile_stack,
    wait_for_scan_http,
    with_venv_path,
)
from tests.support.processes import RedisServer, free_port
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration


def test_honcho_runs_release_then_web_and_workers_and_a_scan_completes(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_client.Redis.from_url(redis_server.url).flushall()
    port = free_port()
    env = {
        **with_venv_path(os.environ),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'procfile.db'}",
        "REDIS_URL": redis_server.url,
        "PORT": str(port),
        "TECHSCANIQ_WEB_HOST": "127.0.0.1",
        "TECHSCANIQ_ALLOW_NETWORKS": "127.0.0.0/24",
        "TECHSCANIQ_EVIDENCE_CONCURRENCY": "1",
        "TECHSCANIQ_REPORT_CONCURRENCY": "1",
    }
    release = subprocess.run(
        [str(Path(sys.executable).parent / "honcho"), "start", "release"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert release.returncode == 0, release.stdout + release.stderr
    assert "database at revision" in release.stdout

    settings = Settings.from_env(env)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Procfile Capital", label="tests", is_admin=False)
    log_path = tmp_path / "honcho.log"
    stack = start_procfile(["web", "worker_evidence", "worker_report"], env, log_path)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_procfile_stack(stack, log_path, base_url)
        with LoopbackSite(home_delay_seconds=0.2) as site:
            scan_id = submit_scan_http(base_url, key, site.url)
            final = wait_for_scan_http(base_url, key, scan_id, {"honcho": log_path})
        assert final["scanRequest"]["status"] == "completed", final
        assert final["progress"]["reportGeneration"]["reportId"]
        log = read_log(log_path)
        # Each process type ran as the Procfile says: gunicorn with threads, one worker per queue.
        assert "Using worker: gthread" in log
        assert "evidence@" in log and "reports@" in log
        assert "techscaniq.collect_evidence" in log and "techscaniq.generate_report" in log
    finally:
        stop_process(stack)
        dispose_engines()
    # The Procfile remaps the workers' SIGTERM to Celery's cold shutdown, which opens the soft-shutdown window.
    assert "Initiating Soft Shutdown" in read_log(log_path)
