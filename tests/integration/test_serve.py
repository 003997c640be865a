"""`make serve` runs `techscaniq serve`: the real architecture without Redis configured, one scan end to end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.processes import free_port, require_tool
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration


def _serve(tmp_path: Path, *flags: str) -> tuple[subprocess.Popen[str], int, Path]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        {"TECHSCANIQ_DATA_DIR": str(tmp_path / "data"), "API_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    )
    log_path = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "techscaniq.cli", "serve", *flags],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, port, log_path


def _run_one_scan(tmp_path: Path, *flags: str) -> str:
    process, port, log_path = _serve(tmp_path, *flags)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/api/health", timeout=1).ok:
                    break
            # gunicorn listens before its worker has loaded the app: a connection may wait unanswered at first.
            except (requests.ConnectionError, requests.Timeout):
                pass
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        found = re.search(r"^\s+(tsq_\S+)$", log_path.read_text(), re.MULTILINE)
        assert found, log_path.read_text()
        headers = {"Authorization": f"Bearer {found.group(1)}"}
        home = requests.get(f"{base}/", timeout=5)
        assert home.status_code == 200
        # The API runs under gunicorn, as the Procfile's web process does, not werkzeug's development server.
        assert home.headers["Server"].startswith("gunicorn"), home.headers
        with LoopbackSite() as site:
            created = requests.post(
                f"{base}/api/scans",
                json={"company_name": "Acme", "website_url": site.url},
                headers=headers,
                timeout=10,
            )
            assert created.status_code == 201, created.text
            scan_id = created.json()["scanRequestId"]
            deadline = time.monotonic() + 90
            while True:
                state = requests.get(f"{base}/api/scans/{scan_id}/status", headers=headers, timeout=5).json()
                if state["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
                    break
                assert time.monotonic() < deadline, f"{state}\n{log_path.read_text()[-4000:]}"
                time.sleep(0.3)
        assert state["scanRequest"]["status"] == "completed", log_path.read_text()[-4000:]
        assert state["progress"]["reportGeneration"]["reportId"]
        return log_path.read_text()
    finally:
        # Like a service manager: SIGTERM to `techscaniq serve`, which stops its workers and broker itself.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_serve_with_a_private_redis_server(tmp_path: Path) -> None:
    require_tool("redis-server")
    log = _run_one_scan(tmp_path)
    assert "broker: private redis-server" in log


def test_serve_on_the_embedded_sqlite_broker(tmp_path: Path) -> None:
    log = _run_one_scan(tmp_path, "--sqlite-broker")
    assert "broker: embedded SQLite transport" in log
    assert log.count(" ready.") >= 2  # a real worker process for each queue, not threads
