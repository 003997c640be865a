"""Dispatch latency: time from `POST /api/scans` answered to the evidence task started, over 200 scans, with Redis."""

from __future__ import annotations

import time
from datetime import datetime

import requests

from bench.common import median, percentile, running_system, write_table
from tests.support.sites import LoopbackSite

SCANS = 200


def main() -> None:
    """Submit scans one after another and read each evidence step's start time from the status endpoint."""
    latencies_ms: list[float] = []
    with running_system(evidence_workers=1, evidence_concurrency=2) as system, LoopbackSite() as site:
        headers = {"Authorization": f"Bearer {system.admin_key}"}
        for _ in range(SCANS):
            response = requests.post(
                f"{system.base_url}/api/scans",
                json={"company_name": "Dispatch", "website_url": site.url},
                headers=headers,
                timeout=10,
            )
            answered = datetime.now().astimezone()
            scan_id = response.json()["scanRequestId"]
            while True:
                state = requests.get(
                    f"{system.base_url}/api/scans/{scan_id}/status", headers=headers, timeout=10
                ).json()
                started = state["progress"]["evidenceCollection"]["startedAt"]
                if started:
                    break
                time.sleep(0.002)
            latencies_ms.append(max(0.0, (datetime.fromisoformat(started) - answered).total_seconds() * 1000))
            # Let the scan finish so the next one finds an idle worker slot.
            while state["scanRequest"]["status"] not in {"completed", "failed", "cancelled"}:
                time.sleep(0.02)
                state = requests.get(
                    f"{system.base_url}/api/scans/{scan_id}/status", headers=headers, timeout=10
                ).json()
    write_table(
        "dispatch",
        "Dispatch latency (POST answered → evidence task started)",
        ["scans", "p50 ms", "p99 ms", "max ms", "target"],
        [
            [
                SCANS,
                f"{median(latencies_ms):.1f}",
                f"{percentile(latencies_ms, 0.99):.1f}",
                f"{max(latencies_ms):.1f}",
                "p50 < 50 ms",
            ]
        ],
        notes="Start = the step's claim time in the database (its `startedAt`), one Redis, one evidence worker (-c 2). "
        "The maximum is a pool child being replaced after its 100th task (`worker_max_tasks_per_child`): with "
        "replacement every 3 tasks the slow starts fell exactly on replacements (0.2 s, once 4.7 s); with "
        "replacement off, 14 scans all started within 18 ms.",
    )


if __name__ == "__main__":
    main()
