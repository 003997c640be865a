"""Structured logs: JSON lines carrying scan_id and task_id, from API requests and Celery tasks, with no secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from celery.signals import task_postrun, task_prerun

from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.collectors.security import SecurityCollector
from techscaniq.logs import (
    configure_logging,
    install_celery_logging,
    install_flask_logging,
    log_context,
    redact,
)
from tests.support.fixture_scan import scan_fixture_company
from tests.support.ops import REPO_ROOT, procfile_commands, wait_for_http, with_venv_path
from tests.support.processes import RedisServer, free_port

SCAN_ID = "0b7f6f7e-8a47-4c55-9a51-3f3f1f0d2a11"
log = logging.getLogger("techscaniq.tests.ops_logs")


@dataclass
class JsonLog:
    """The JSON lines written since logging was configured for the test."""

    stream: io.StringIO

    def lines(self) -> list[dict[str, object]]:
        """Every line parsed."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """JSON logging into a buffer for one test; the root logger is restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(Settings.from_env({"LOG_LEVEL": "INFO"}), "api", stream)
    configure_logging(Settings.from_env({"LOG_LEVEL": "INFO"}), "api", stream)  # again: lines must not double
    yield JsonLog(stream)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_context_and_celery_signals_tag_every_line(json_log: JsonLog) -> None:
    install_celery_logging(Settings.from_env({}))
    log.info("outside any scan")
    with log_context(scan_id=SCAN_ID):
        log.info("inside a scan")
    task_prerun.send(sender=None, task_id=f"{SCAN_ID}.evidence.1", task=None, args=[SCAN_ID], kwargs={})
    log.warning("inside a task")
    task_postrun.send(sender=None, task_id=f"{SCAN_ID}.evidence.1", task=None, args=[SCAN_ID], kwargs={})
    log.info("after the task")
    lines = json_log.lines()
    assert [(line["message"], line["scan_id"], line["task_id"]) for line in lines] == [
        ("outside any scan", None, None),
        ("inside a scan", SCAN_ID, None),
        ("inside a task", SCAN_ID, f"{SCAN_ID}.evidence.1"),
        ("after the task", None, None),
    ]
    assert lines[2]["level"] == "warning" and lines[2]["component"] == "api"


def test_api_requests_tag_lines_with_the_scan_of_their_url(json_log: JsonLog) -> None:
    app = create_app(Settings.from_env({"TECHSCANIQ_AUTH": "off"}))
    install_flask_logging(app)

    @app.get("/probe/scans/<scan_id>")
    def probe(scan_id: str) -> str:
        log.info("looking at a scan")
        return "ok"

    assert app.test_client().get(f"/probe/scans/{SCAN_ID}").status_code == 200
    log.info("between requests")
    lines = json_log.lines()
    tagged = {line["message"]: line["scan_id"] for line in lines}
    assert tagged["looking at a scan"] == SCAN_ID
    assert tagged["between requests"] is None


def test_secrets_never_reach_a_log_line(json_log: JsonLog) -> None:
    samples = {
        "rediss://default:s3cr3t-pass@redis.example.com:6380/0": "s3cr3t-pass",
        "postgresql://user:pg-password-1@db.example.com/app": "pg-password-1",
        "Authorization: Bearer tsq_abcdef1234567890": "abcdef1234567890",
        "key tsq_0123456789abcdef leaked": "0123456789abcdef",
        "secret whsec_99887766554433 leaked": "99887766554433",
        "FLOWER_BASIC_AUTH=ops:flower-pass-9": "flower-pass-9",
        "OPENAI_API_KEY=sk-live-123456789": "sk-live-123456789",
        "password='hunter22'": "hunter22",
    }
    for text, secret in samples.items():
        assert secret not in redact(text), text
    assert redact("scan 42 finished with 17 items at https://acme.example.com/pricing") == (
        "scan 42 finished with 17 items at https://acme.example.com/pricing"
    )
    try:
        raise RuntimeError("cannot reach rediss://:exception-pass@cache.example.com:6380")
    except RuntimeError:
        log.exception("broker problem with %s", "postgresql://u:arg-pass@db.example.com/x")
    lines = json_log.lines()
    written = json.dumps(lines)
    assert "exception-pass" not in written and "arg-pass" not in written
    assert "RuntimeError" in str(lines[-1]["exception"])


def _json_lines(path: Path) -> list[dict[str, object]]:
    """Every line a process wrote to one stream, each parsed as a JSON object (a non-JSON line fails the test)."""
    parsed = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{path.name} line {number} is not JSON: {line!r}") from None
        assert isinstance(entry, dict), f"{path.name} line {number} is not a JSON object: {line!r}"
        parsed.append(entry)
    return parsed


@pytest.mark.integration
def test_gunicorn_run_as_the_procfile_says_writes_only_json_lines(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **with_venv_path(os.environ),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "REDIS_URL": redis_server.url,
        "PORT": str(port),
        "TECHSCANIQ_WEB_HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
    }
    commands = procfile_commands()
    release = subprocess.run(
        ["sh", "-c", commands["release"]], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert release.returncode == 0, release.stdout + release.stderr
    stdout_path, stderr_path = tmp_path / "web.stdout", tmp_path / "web.stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        web = subprocess.Popen(
            ["sh", "-c", commands["web"]], env=env, cwd=REPO_ROOT, stdout=stdout, stderr=stderr,
            start_new_session=True,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/api/health", web, stderr_path)
        assert requests.get(f"{base_url}/api/health", headers={"X-Request-Id": "req-7f3a"}, timeout=10).ok
        assert requests.get(f"{base_url}/api/ready", timeout=10).status_code == 200
        unauthorised = requests.get(f"{base_url}/api/scans/{SCAN_ID}/status", timeout=10)
        assert unauthorised.status_code == 401
        assert requests.get(f"{base_url}/no-such-page", timeout=10).status_code == 404
    finally:
        # A platform's stop: SIGTERM to the first process, which `exec` made gunicorn's master.
        web.send_signal(signal.SIGTERM)
        try:
            exit_code = web.wait(timeout=60)
        finally:
            if web.poll() is None:
                os.killpg(web.pid, signal.SIGKILL)
                web.wait()
    assert exit_code == 0, stderr_path.read_text()[-3000:]
    errors, access = _json_lines(stderr_path), _json_lines(stdout_path)
    messages = [str(line["message"]) for line in errors]
    # gunicorn's own lifecycle, start to stop, each as a JSON line of the web component.
    for expected in ("Starting gunicorn", "Listening at", "Using worker: gthread", "Booting worker",
                     "Handling signal: term", "Shutting down: Master"):  # fmt: skip
        assert any(expected in message for message in messages), (expected, messages)
    assert all(line["component"] in {"web", "api"} for line in errors), errors
    assert all(line["logger"] == "gunicorn.access" and line["component"] == "web" for line in access), access
    by_path = {line["path"]: line for line in access}
    assert set(by_path) == {"/api/health", "/api/ready", f"/api/scans/{SCAN_ID}/status", "/no-such-page"}
    for line in access:
        assert line["method"] == "GET" and line["level"] == "info"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert line["message"] == f"GET {line['path']} {line['status']}"
    assert [by_path[path]["status"] for path in sorted(by_path)] == [200, 200, 401, 404]
    # The readiness poll asks /api/health too, and gunicorn writes each access line after the response has
    # gone, from whichever thread served it: the lines of one path need not be in request order.
    health_ids = [line["request_id"] for line in access if line["path"] == "/api/health"]
    assert health_ids.count("req-7f3a") == 1 and set(health_ids) <= {"req-7f3a", None}, health_ids
    assert by_path["/api/ready"]["request_id"] is None
    assert by_path[f"/api/scans/{SCAN_ID}/status"]["scan_id"] == SCAN_ID
    assert by_path["/api/health"]["scan_id"] is None


def test_lines_from_the_scan_s_worker_threads_carry_its_scan_and_task(
    json_log: JsonLog, fixture_dns: LoopbackDNSServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fault injection: the security collector's site-level step, which runs on a pool thread, crashes.
    threads: list[str] = []

    def crash(self: SecurityCollector, context: object) -> list[object]:
        threads.append(threading.current_thread().name)
        raise RuntimeError("the probe blew up")

    monkeypatch.setattr(SecurityCollector, "finish", crash)
    with log_context(scan_id=SCAN_ID, task_id=f"{SCAN_ID}.evidence.1"):
        scan_fixture_company(fixture_dns, tmp_path, domain="thread-logs.test", pages=5)
    assert threads and threads[0] != threading.main_thread().name
    failures = [
        line
        for line in json_log.lines()
        if str(line["message"]).startswith("collector security failed (reference ")
    ]
    assert len(failures) == 1
    assert failures[0]["scan_id"] == SCAN_ID and failures[0]["task_id"] == f"{SCAN_ID}.evidence.1"
    assert "the probe blew up" in str(failures[0].get("exception", ""))
