"""Helpers shared by the operations tests: Procfile lines, shell processes, JSON-logging workers, HTTP scans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from tests.support.processes import READY_TIMEOUT_SECONDS

REPO_ROOT = Path(__file__).resolve().parents[2]
SCAN_TIMEOUT_SECONDS = 120
PROCESS_STOP_TIMEOUT_SECONDS = 60

# A real `celery worker` with JSON logging installed before Celery starts (worker.worker_app() installs it too).
JSON_WORKER_BOOT = (
    "import sys\n"
    "from techscaniq.config import Settings\n"
    "from techscaniq.logs import install_celery_logging\n"
    "install_celery_logging(Settings.from_env())\n"
    "from celery.__main__ import main\n"
    "sys.argv = ['celery', *sys.argv[1:]]\n"
    "main()\n"
)


def with_venv_path(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with this interpreter's bin directory first on PATH (where celery, gunicorn and honcho are)."""
    bin_dir = str(Path(sys.executable).parent)
    return {**env, "PATH": os.pathsep.join([bin_dir, env.get("PATH", os.defpath)])}


def procfile_commands(path: Path = REPO_ROOT / "Procfile") -> dict[str, str]:
    """The Procfile as {process type: command}."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        commands[name.strip()] = command.strip()
    return commands


def start_process(
    command: list[str], env: Mapping[str, str], log_path: Path, cwd: Path = REPO_ROOT
) -> subprocess.Popen[bytes]:
    """Start a process in its own process group with stdout and stderr in log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_process(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> int | None:
    """Signal the process group, wait, and SIGKILL it if it lingers; returns the exit code."""
    if process is None or process.poll() is not None:
        return None if process is None else process.returncode
    try:
        os.killpg(process.pid, sig)
        return process.wait(timeout=PROCESS_STOP_TIMEOUT_SECONDS)
    except ProcessLookupError:
        return process.wait()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


def read_log(path: Path) -> str:
    """Everything a process wrote so far."""
    return path.read_text(errors="replace") if path.exists() else ""


def wait_for_log(
    process: subprocess.Popen[bytes], log_path: Path, marker: str, timeout: float = READY_TIMEOUT_SECONDS
) -> None:
    """Block until the log contains marker; fail with the log when the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker in read_log(log_path):
            return
        if process.poll() is not None:
            raise RuntimeError(
                f"process exited ({process.returncode}) before {marker!r}:\n{read_log(log_path)[-4000:]}"
            )
        time.sleep(0.1)
    raise TimeoutError(f"no {marker!r} after {timeout} s:\n{read_log(log_path)[-4000:]}")


def start_json_worker(
    queue: str, name: str, env: Mapping[str, str], log_path: Path, concurrency: int = 1
) -> subprocess.Popen[bytes]:
    """A real worker for one queue with JSON logging installed, ready to take work."""
    command = [
        sys.executable, "-c", JSON_WORKER_BOOT, "-A", "techscaniq", "worker", "-Q", queue, "-c", str(concurrency),
        "-n", name, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    process = start_process(command, env, log_path)
    wait_for_log(process, log_path, " ready.")
    return process


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = READY_TIMEOUT_SECONDS
) -> None:
    """Block until url answers anything over HTTP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited ({process.returncode}):\n{read_log(log_path)[-4000:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout} s:\n{read_log(log_path)[-4000:]}")


def submit_scan_http(base_url: str, key: str, website_url: str, **fields: Any) -> str:
    """POST /api/scans over HTTP; the new scan's id."""
    response = requests.post(
        f"{base_url}/api/scans",
        json={"company_name": "Acme Analytics", "website_url": website_url, **fields},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["scanRequestId"])


def wait_for_scan_http(
    base_url: str, key: str, scan_id: str, logs: Mapping[str, Path] | None = None
) -> dict[str, Any]:
    """Poll the status endpoint over HTTP until the scan is final; its last status body."""
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = requests.get(
            f"{base_url}/api/scans/{scan_id}/status", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
            return body
        time.sleep(0.2)
    shown = "\n".join(f"--- {name} ---\n{read_log(path)[-3000:]}" for name, path in (logs or {}).items())
    raise AssertionError(f"scan {scan_id} did not end: {body}\n{shown}")


def start_procfile(processes: list[str], env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`honcho start <processes>` from the repository root (the first process gets env PORT)."""
    return start_process([str(Path(sys.executable).parent / "honcho"), "start", *processes], env, log_path)


def wait_for_procfile_stack(
    process: subprocess.Popen[bytes], log_path: Path, base_url: str, workers: int = 2
) -> None:
    """Block until the web process answers /api/health and every worker printed its ready line."""
    wait_for_http(f"{base_url}/api/health", process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while read_log(log_path).count(" ready.") < workers:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready:\n{read_log(log_path)[-4000:]}")
        time.sleep(0.1)
