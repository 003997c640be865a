"""Shared pieces of the benchmarks: a private Redis, workers, an API server, timing helpers, Markdown output."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.processes import RedisServer, Worker, free_port, wait_for_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the values fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def write_table(
    name: str, title: str, header: Sequence[str], rows: Sequence[Sequence[object]], notes: str = ""
) -> Path:
    """Write a Markdown table to bench/results/<name>.md and print it."""
    lines = [
        f"# {title}",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores.",
        "",
    ]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
    if notes:
        lines.extend(["", notes])
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return path


@dataclass
class System:
    """A running system for a benchmark: Redis, the environment, an admin key, the API base URL."""

    env: dict[str, str]
    redis: RedisServer
    workers: list[Worker]
    base_url: str
    admin_key: str
    directory: Path


@contextmanager
def running_system(
    *,
    evidence_workers: int = 1,
    evidence_concurrency: int = 1,
    api: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[System]:
    """Start Redis, a migrated SQLite database, workers and (optionally) gunicorn; stop everything afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="techscaniq-bench-"))
    redis = RedisServer(directory / "redis").start()
    env = {
        **os.environ,
        "REDIS_URL": redis.url,
        "DATABASE_URL": f"sqlite:///{directory / 'bench.db'}",
        "TECHSCANIQ_DATA_DIR": str(directory / "data"),
        "TECHSCANIQ_ALLOW_NETWORKS": "127.0.0.0/24",
        "TECHSCANIQ_SUBMIT_RATE": "100000/minute",
        # INFO: the workers' "ready." line is how a benchmark knows they are up.
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    subprocess.run(
        [sys.executable, "-m", "techscaniq.cli", "migrate"], env=env, check=True, capture_output=True
    )
    created = subprocess.run(
        [sys.executable, "-m", "techscaniq.cli", "keys", "create", "--org", "Bench", "--admin"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    admin_key = created.stdout.strip().splitlines()[-1]
    workers: list[Worker] = []
    for index in range(evidence_workers):
        workers.append(
            Worker(
                "evidence",
                env,
                directory / f"evidence{index}.log",
                f"evidence{index}@%h",
                evidence_concurrency,
            ).start()
        )
    workers.append(Worker("reports", env, directory / "reports.log", "reports@%h", 2).start())
    server = None
    port = free_port()
    if api:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "8", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "techscaniq.app:create_app()"],
            env=env,
        )  # fmt: skip
        wait_for_port(port)
    try:
        yield System(env, redis, workers, f"http://127.0.0.1:{port}", admin_key, directory)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for worker in workers:
            worker.stop()
        redis.stop()


def wait_for_scan(system: System, scan_id: str, timeout_seconds: float = 600) -> dict[str, object]:
    """Poll a scan's status until it is final."""
    headers = {"Authorization": f"Bearer {system.admin_key}"}
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        state = requests.get(
            f"{system.base_url}/api/scans/{scan_id}/status", headers=headers, timeout=10
        ).json()
        if state["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
            return dict(state)
        time.sleep(0.2)
    raise TimeoutError(f"scan {scan_id} did not finish in {timeout_seconds} s")
