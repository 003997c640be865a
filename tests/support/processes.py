"""Real processes for tests: a private redis-server and celery workers, each in its own process group."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

READY_TIMEOUT_SECONDS = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Block until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def require_tool(name: str) -> str:
    """The path of a tool the tests need; a skip that CI=true turns into a failure."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (make test installs it on Debian/Ubuntu)")
    return path


@dataclass
class RedisServer:
    """A private redis-server with AOF on, in a directory of its own."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (or restart on the same data directory) and wait until it accepts connections."""
        binary = require_tool("redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--maxmemory-policy", "noeviction", "--logfile", str(self.directory / "redis.log"),
            ],
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.port)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server (SIGKILL for a crash)."""
        if self.process is None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@dataclass
class Worker:
    """A real `celery worker` process for one queue."""

    queue: str
    env: Mapping[str, str]
    log_path: Path
    name: str
    concurrency: int = 1
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        """Start the worker and wait for its 'ready' line."""
        return self.launch().wait_ready()

    def launch(self) -> Worker:
        """Start the worker process without waiting for it (start several, then wait_ready on each)."""
        command = [
            sys.executable, "-m", "celery", "-A", "techscaniq", "worker", "-Q", self.queue,
            "-c", str(self.concurrency), "-n", self.name, "--loglevel", "INFO", "--without-gossip",
            "--without-mingle",
        ]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, env=dict(self.env), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def wait_ready(self) -> Worker:
        """Block until the launched worker printed its 'ready' line."""
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited early:\n{self.log()[-3000:]}")
            if " ready." in self.log():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"worker {self.name} not ready:\n{self.log()[-3000:]}")

    def log(self) -> str:
        """Everything the worker printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash: no code runs)."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        """Warm shutdown, then kill if it takes too long."""
        if self.process is None:
            return
        # SIGTERM to the main process only, as a platform does: signalling the whole group makes the pool
        # children die under the main process and the warm shutdown then waits out its soft-shutdown window.
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # nothing of the group may outlive the test
        self.process = None
