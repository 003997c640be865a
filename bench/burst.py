"""The 300-scan burst: submission latency percentiles and scan throughput with two evidence workers.

Usage: .venv/bin/python bench/burst.py [--scans 300] [--threads 10] [--database-url URL]
Writes bench/results/burst.md. Everything runs on loopback: a private redis-server, real celery workers,
small loopback sites and the API behind werkzeug's threaded server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "burst.md"
SITES = 5
FINISH_TIMEOUT_SECONDS = 3600


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> int:
    """Run the burst and write the results table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=300)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="techscaniq-burst-"))
    from tests.support.processes import RedisServer, Worker, free_port

    redis_server = RedisServer(work / "redis", port=free_port()).start()
    schema = f"tsq_burst_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": args.database_url,
        "TECHSCANIQ_DB_SCHEMA": schema,
        "TECHSCANIQ_DATA_DIR": str(work / "data"),
        "TECHSCANIQ_ALLOW_NETWORKS": "127.0.0.0/24",
        "TECHSCANIQ_SUBMIT_RATE": "1000000/minute",
    }
    os.environ.update(env)
    from sqlalchemy import create_engine, func, select, text
    from werkzeug.serving import make_server

    from techscaniq.app import create_app
    from techscaniq.config import Settings
    from techscaniq.domain import ScanStatus
    from techscaniq.storage import repo
    from techscaniq.storage.db import dispose_engines, migrate, session_scope
    from techscaniq.storage.tables import evidence_items, scans
    from tests.support.sites import LoopbackSite

    settings = Settings.from_env()
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Bench Firm", label="burst", is_admin=False)
    workers = [
        Worker("evidence", env, work / f"evidence-{n}.log", name=f"evidence-{n}@%h", concurrency=1).start()
        for n in (1, 2)
    ]
    workers.append(Worker("reports", env, work / "reports.log", name="reports@%h").start())
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    sites = [LoopbackSite().__enter__() for _ in range(SITES)]
    import requests

    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def submit(number: int) -> None:
        body = {"company_name": f"Burst Co {number}", "website_url": sites[number % SITES].url}
        started = time.perf_counter()
        response = requests.post(
            f"{base}/api/scans", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed * 1000)
            statuses.append(response.status_code)

    try:
        burst_started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(submit, range(args.scans)))
        submitted_in = time.monotonic() - burst_started
        while True:
            with session_scope(settings, write=False) as session:
                states = [ScanStatus(s) for s in session.execute(select(scans.c.status)).scalars()]
            if (
                all(state.is_final for state in states)
                or time.monotonic() - burst_started > FINISH_TIMEOUT_SECONDS
            ):
                break
            time.sleep(1)
        all_final_in = time.monotonic() - burst_started
        with session_scope(settings, write=False) as session:
            duplicates = session.execute(
                select(func.count()).select_from(
                    select(evidence_items.c.scan_id)
                    .group_by(evidence_items.c.scan_id, evidence_items.c.type, evidence_items.c.dedup_key)
                    .having(func.count() > 1)
                    .subquery()
                )
            ).scalar_one()
            items = session.execute(select(func.count()).select_from(evidence_items)).scalar_one()
    finally:
        server.shutdown()
        for site in sites:
            site.__exit__()
        for worker in workers:
            worker.stop()
        redis_server.stop()
        dispose_engines()
        if settings.is_postgres:
            engine = create_engine(args.database_url)
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()

    completed = sum(state == ScanStatus.COMPLETED for state in states)
    rows = [
        ("scans submitted", f"{args.scans} from {args.threads} threads"),
        ("answers", ", ".join(f"{code} x{statuses.count(code)}" for code in sorted(set(statuses)))),
        ("submission phase", f"{submitted_in:.1f} s ({args.scans / submitted_in:.0f} submissions/s)"),
        ("POST /api/scans latency p50 / p95 / p99 / max (ms)",
         " / ".join(f"{percentile(latencies, p):.0f}" for p in (0.5, 0.95, 0.99, 1.0))),
        ("mean latency (ms)", f"{statistics.fmean(latencies):.0f}"),
        ("scans in the database / completed", f"{len(states)} / {completed}"),
        ("all scans final after", f"{all_final_in:.0f} s"),
        ("throughput (2 evidence workers, -c 1 each)", f"{completed / all_final_in * 60:.1f} scans/minute"),
        ("evidence items / duplicates", f"{items} / {duplicates}"),
    ]  # fmt: skip
    lines = [
        "# Burst benchmark",
        "",
        f"`bench/burst.py --scans {args.scans}` on {os.cpu_count()} cores, database "
        f"{'PostgreSQL' if settings.is_postgres else 'SQLite'}, {SITES} small loopback sites "
        "(LoopbackSite: home page and robots.txt), one report worker.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if completed == args.scans and duplicates == 0 and set(statuses) == {201} else 1


if __name__ == "__main__":
    raise SystemExit(main())
