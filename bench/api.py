"""API throughput and latency under load, each endpoint as a fraction of a trivial endpoint of the same app."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from bench.common import median, percentile, running_system, write_table
from tests.support.sites import LoopbackSite

THREADS = 8
SECONDS_PER_ENDPOINT = 8.0


def load(call: Callable[[requests.Session], requests.Response]) -> tuple[float, list[float], int]:
    """Run `call` from THREADS threads for SECONDS_PER_ENDPOINT; returns (requests/s, latencies ms, errors)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS_PER_ENDPOINT

    def run() -> None:
        nonlocal errors
        session = requests.Session()
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = call(session)
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status_code >= 400
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies, errors


def main() -> None:
    """Measure the trivial endpoint, the status endpoint and the submit endpoint against gunicorn."""
    with running_system(evidence_workers=0, api=True) as system, LoopbackSite() as site:
        headers = {"Authorization": f"Bearer {system.admin_key}"}
        first = requests.post(
            f"{system.base_url}/api/scans",
            json={"company_name": "Api", "website_url": site.url},
            headers=headers,
            timeout=10,
        ).json()["scanRequestId"]
        endpoints = {
            "GET /api/health (ceiling)": lambda s: s.get(f"{system.base_url}/api/health", timeout=10),
            "GET /api/scans/<id>/status": lambda s: s.get(
                f"{system.base_url}/api/scans/{first}/status", headers=headers, timeout=10
            ),
            "POST /api/scans": lambda s: s.post(
                f"{system.base_url}/api/scans",
                json={"company_name": "Api", "website_url": site.url},
                headers=headers,
                timeout=10,
            ),
        }
        results = {name: load(call) for name, call in endpoints.items()}
    ceiling_rps, ceiling_latencies, _ = results["GET /api/health (ceiling)"]
    ceiling_p99 = percentile(ceiling_latencies, 0.99)
    rows = []
    for name, (rps, latencies, errors) in results.items():
        p99 = percentile(latencies, 0.99)
        rows.append([name, f"{rps:.0f}", f"{rps / ceiling_rps:.2f}", f"{median(latencies):.1f}", f"{p99:.1f}",
                     f"{p99 / ceiling_p99:.2f}", errors])  # fmt: skip
    write_table(
        "api",
        "API under load (gunicorn gthread, 2 workers x 8 threads, SQLite, Redis broker)",
        ["endpoint", "req/s", "of ceiling", "p50 ms", "p99 ms", "p99 / ceiling p99", "errors"],
        rows,
        notes=f"{THREADS} client threads for {SECONDS_PER_ENDPOINT:.0f} s per endpoint on the same 2-core machine. "
        "Target: status p99 within 2x of the trivial endpoint's p99.",
    )


if __name__ == "__main__":
    main()
