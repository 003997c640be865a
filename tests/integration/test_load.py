"""A burst of 30 submissions through a real HTTP server, two evidence workers: every one accepted and finished,
exactly the submitted scans stored, no duplicate evidence. Speed is measured by bench/burst.py, not here."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from techscaniq.app import create_app
from techscaniq.domain import ScanStatus
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from techscaniq.storage.tables import evidence_items, reports, scans
from tests.support.databases import TEST_DATABASE_URL, Database, drop_database, settings_for
from tests.support.processes import RedisServer, Worker
from tests.support.sites import LoopbackSite

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

BURST_SCANS = 30
SITES = 5
SUBMITTING_THREADS = 10
FINISH_TIMEOUT_SECONDS = 240


@pytest.fixture
def system(redis_server: RedisServer, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """PostgreSQL, two evidence workers, one report worker and the API behind a threaded HTTP server."""
    redis.Redis.from_url(redis_server.url).flushall()
    database = Database("postgres", TEST_DATABASE_URL, f"tsq_load_{uuid.uuid4().hex[:10]}")
    overrides = {"TECHSCANIQ_SUBMIT_RATE": "100000/minute"}
    settings: Any = settings_for(database, **overrides)
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Load Firm", label="burst", is_admin=False)
    env = {**os.environ, **database.env(), **overrides}
    workers = [
        Worker("evidence", env, tmp_path / f"evidence-{n}.log", name=f"evidence-{n}@%h").start()
        for n in (1, 2)
    ]
    workers.append(Worker("reports", env, tmp_path / "reports.log", name="reports@%h").start())
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "settings": settings,
            "key": key,
            "base": f"http://127.0.0.1:{server.server_port}",
            "workers": workers,
        }
    finally:
        server.shutdown()
        thread.join(timeout=5)
        for worker in workers:
            worker.stop()
        dispose_engines()
        drop_database(database)


def test_a_burst_of_submissions_all_finish_with_nothing_duplicated(system: dict[str, Any]) -> None:
    settings, base = system["settings"], system["base"]
    headers = {"Authorization": f"Bearer {system['key']}"}
    sites = [LoopbackSite().__enter__() for _ in range(SITES)]
    try:

        def submit(number: int) -> tuple[int, str]:
            body = {"company_name": f"Burst Co {number}", "website_url": sites[number % SITES].url}
            response = requests.post(f"{base}/api/scans", json=body, headers=headers, timeout=30)
            return response.status_code, response.json().get("scanRequestId", "")

        with ThreadPoolExecutor(max_workers=SUBMITTING_THREADS) as pool:
            answers = list(pool.map(submit, range(BURST_SCANS)))
        assert [status for status, _ in answers] == [201] * BURST_SCANS, answers
        submitted = {scan_id for _, scan_id in answers}
        assert len(submitted) == BURST_SCANS

        deadline = time.monotonic() + FINISH_TIMEOUT_SECONDS
        while True:
            with session_scope(settings, write=False) as session:
                statuses = dict(session.execute(select(scans.c.id, scans.c.status)).all())
            if all(ScanStatus(status).is_final for status in statuses.values()):
                break
            assert time.monotonic() < deadline, {w.name: w.log()[-2000:] for w in system["workers"]} | {
                "unfinished": [s for s, v in statuses.items() if not ScanStatus(v).is_final]
            }
            time.sleep(0.5)
    finally:
        for site in sites:
            site.__exit__()
    assert set(statuses) == submitted
    assert set(statuses.values()) == {ScanStatus.COMPLETED}
    with session_scope(settings, write=False) as session:
        duplicates = session.execute(
            select(evidence_items.c.scan_id, evidence_items.c.type, evidence_items.c.dedup_key)
            .group_by(evidence_items.c.scan_id, evidence_items.c.type, evidence_items.c.dedup_key)
            .having(func.count() > 1)
        ).all()
        per_scan = dict(
            session.execute(
                select(evidence_items.c.scan_id, func.count()).group_by(evidence_items.c.scan_id)
            ).all()
        )
        report_counts = dict(
            session.execute(select(reports.c.scan_id, func.count()).group_by(reports.c.scan_id)).all()
        )
    assert duplicates == []
    assert (
        set(per_scan) == submitted and len(set(per_scan.values())) == 1
    )  # identical sites, identical evidence
    assert report_counts == {scan_id: 1 for scan_id in submitted}
    for worker in system["workers"][:2]:
        assert "succeeded" in worker.log(), f"{worker.name} never ran a scan"
