"""Exactly-once effects under duplicate deliveries, a fast host clock, two reapers, a Redis that is down or forgets,
rolling restarts and a database that shuts writers out. Each scenario runs on PostgreSQL and on SQLite (one file
shared by the API and the worker processes), with real workers and the session's Redis; short leases so the reaper
acts within seconds. The two slow scenarios run both databases side by side in one test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import update

from techscaniq import reaper, tasks
from techscaniq.domain import EventKind, ScanStatus, StepName, StepStatus
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import scan_steps
from tests.support.databases import TEST_DATABASE_URL
from tests.support.faults import (
    CuttableProxy,
    Faults,
    no_duplicates,
    running_faults,
    sqlite_writers_shut_out,
    start_together,
)
from tests.support.processes import RedisServer, Worker
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def faults(request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path: Path) -> Iterator[Faults]:
    """A fresh PostgreSQL schema or SQLite file and a clean broker, as in test_faults.py."""
    with running_faults(redis_server, tmp_path, request.param) as running:
        yield running


@pytest.fixture
def both(redis_server: RedisServer, tmp_path: Path) -> Iterator[tuple[Faults, Faults]]:
    """A PostgreSQL stack and a SQLite stack side by side on one Redis server (databases 0 and 1 of it)."""
    with (
        running_faults(redis_server, tmp_path, "postgres", redis_db=0) as on_postgres,
        running_faults(redis_server, tmp_path, "sqlite", redis_db=1) as on_sqlite,
    ):
        yield on_postgres, on_sqlite


# A copy waits this long for the running copy's lease before it leaves the step to it.
CLAIM_WAIT = {"TECHSCANIQ_STEP_CLAIM_WAIT_SECONDS": "2"}


def _exactly_once(faults: Faults, scan_id: str, *, retried_for: frozenset[str] = frozenset()) -> Any:
    """The scan completed once: one report, no duplicate evidence, no attempt failed but for `retried_for` codes."""
    final = faults.wait_final(scan_id)
    assert final.status == ScanStatus.COMPLETED, (final, [e.message for e in faults.events(scan_id)])
    keys = faults.evidence_keys(scan_id)
    assert keys and no_duplicates(keys)
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 1
    events = faults.events(scan_id)
    # No failure recorded on the way: one done event, and no step attempt failed ("... failed (code): retrying").
    assert [e.message for e in events if e.kind == EventKind.DONE] == ["report ready"], events
    assert not [
        e
        for e in events
        if e.kind == EventKind.WARNING and "attempt" in e.message and e.data.get("code") not in retried_for
    ]
    return final


def test_the_same_chain_published_twice_completes_once(faults: Faults) -> None:
    start_together(*(faults.launch(queue, **CLAIM_WAIT) for queue in ("evidence", "evidence", "reports")))
    with LoopbackSite(home_delay_seconds=1) as site:
        scan_id = faults.submit(site.url)
        scan = faults.scan(scan_id)
        # An operator (or a broker) sends the very same chain again: same task ids, two workers free to take them.
        tasks.enqueue_steps(
            faults.settings,
            scan_id,
            {name: scan.steps[name].task_id for name in (StepName.EVIDENCE, StepName.REPORT)},
        )
        _exactly_once(faults, scan_id)


def test_a_copy_delivered_while_the_first_runs_never_takes_over(faults: Faults) -> None:
    start_together(*(faults.launch(queue, **CLAIM_WAIT) for queue in ("evidence", "evidence", "reports")))
    broker = redis.Redis.from_url(faults.redis_url)
    with LoopbackSite(home_delay_seconds=4) as site:
        scan_id = faults.submit(site.url)
        faults.wait_for("the home page to be on the wire", lambda: "/" in site.requests)
        running = faults.step(scan_id, StepName.EVIDENCE)
        (payload,) = [json.loads(raw) for raw in broker.hvals("unacked") if scan_id.encode() in raw]
        broker.lpush("evidence", json.dumps(payload[0]))  # the running message, delivered a second time
        final = _exactly_once(faults, scan_id)
    received = f"collect_evidence[{running.task_id}] received"
    assert sum(worker.log().count(received) for worker in faults.workers) == 2  # the copy did arrive
    # The copy either waited and left the step to its holder, or found it done: it never claimed.
    assert final.steps[StepName.EVIDENCE].deliveries == 1
    assert final.steps[StepName.EVIDENCE].task_id == running.task_id


def test_a_worker_whose_clock_runs_five_minutes_fast_steals_no_lease(faults: Faults) -> None:
    # Its reaper runs every second with a clock 5 minutes fast: by that clock every lease looks long expired.
    _, fast = start_together(
        faults.launch("evidence"), faults.launch("reports", TECHSCANIQ_TEST_CLOCK_SKEW_SECONDS="300")
    )
    with LoopbackSite(home_delay_seconds=6) as site:
        scan_id = faults.submit(site.url)
        final = _exactly_once(faults, scan_id)
    assert final.steps[StepName.EVIDENCE].deliveries == 1
    assert not any("handed to another worker" in e.message for e in faults.events(scan_id)), fast.log()[
        -2000:
    ]


def _due_step(faults: Faults, *, crashes: int) -> str:
    with LoopbackSite() as site:
        scan_id = faults.submit(site.url)  # no worker runs: the message waits in the queue
    redis.Redis.from_url(faults.redis_url).delete("evidence")
    with session_scope(faults.settings) as session:
        repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="dead", lease_seconds=-1)
        session.execute(
            update(scan_steps)
            .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == StepName.EVIDENCE)
            .values(crashes=crashes)
        )
    return scan_id


def _two_reapers(faults: Faults) -> list[Any]:
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        results.append(reaper.reap_once(faults.settings))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_reapers_on_one_due_step_send_it_once(faults: Faults) -> None:
    scan_id = _due_step(faults, crashes=1)
    results = _two_reapers(faults)
    warnings = [e for e in faults.events(scan_id) if "handed to another worker" in e.message]
    assert sorted(len(r) for r in results) == [0, 1] and len(warnings) == 1
    assert redis.Redis.from_url(faults.redis_url).llen("evidence") == 1  # one re-send


def test_two_reapers_on_one_poison_step_fail_it_once(faults: Faults) -> None:
    scan_id = _due_step(faults, crashes=3)
    _two_reapers(faults)
    final = faults.scan(scan_id)
    done = [e for e in faults.events(scan_id) if e.kind == EventKind.DONE]
    assert final.status == ScanStatus.FAILED and final.error_code == "poison"
    assert final.steps[StepName.EVIDENCE].status == StepStatus.FAILED
    assert len(done) == 1, done


def test_status_answers_from_the_database_while_redis_is_down(faults: Faults) -> None:
    start_together(faults.launch("evidence"), faults.launch("reports"))
    with LoopbackSite(home_delay_seconds=3) as site:
        scan_id = faults.submit(site.url)
        faults.wait_for(
            "the evidence step to run",
            lambda: faults.step(scan_id, StepName.EVIDENCE).status == StepStatus.ACTIVE,
        )
        headers = {"Authorization": f"Bearer {faults.key}"}
        assert faults.client.get(f"/api/scans/{scan_id}/status", headers=headers).get_json()["live"] is True
        faults.redis.stop()
        try:
            answer = faults.client.get(f"/api/scans/{scan_id}/status", headers=headers)
        finally:
            faults.redis.start()
        body = answer.get_json()
        assert answer.status_code == 200 and body["live"] is False
        assert body["progress"]["evidenceCollection"]["status"] == "active"
        faults.wait_final(scan_id)


ROLLING_RESTARTS = 3
SOFT_SHUTDOWN = {
    # As the Procfile runs workers: SIGTERM starts a (here 2 s) soft-shutdown window, then the message goes back.
    "REMAP_SIGTERM": "SIGQUIT",
    "TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS": "2",
    # Longer than the test: only the hand-backs, never the reaper, move the step between workers.
    "TECHSCANIQ_STEP_LEASE_SECONDS": "600",
}


def test_three_rolling_restarts_of_the_evidence_worker_do_not_make_a_scan_poison(faults: Faults) -> None:
    # Every evidence worker boots at the start, side by side: each stop hands the step to one already running.
    _, *evidence = start_together(
        faults.launch("reports"),
        *(faults.launch("evidence", **SOFT_SHUTDOWN) for _ in range(ROLLING_RESTARTS + 1)),
    )
    # The home page takes longer than the soft-shutdown window: every stop catches the step mid-fetch.
    with LoopbackSite(home_delay_seconds=5) as site:
        scan_id = faults.submit(site.url)
        for restart in range(ROLLING_RESTARTS):

            def holder(fetches: int = restart + 1) -> Worker | None:
                owner = str(faults.step(scan_id, StepName.EVIDENCE).owner)
                if site.requests.count("/") < fetches:
                    return None
                return next((w for w in evidence if owner.startswith(w.name.split("@", 1)[0] + "@")), None)

            faults.wait_for(
                f"restart {restart}: a running worker to fetch the home page", lambda: holder() is not None
            )
            worker = holder()
            assert worker is not None and worker.process is not None
            os.kill(worker.process.pid, signal.SIGTERM)
            worker.process.wait(timeout=90)
            worker.stop()
            evidence.remove(worker)
        final = _exactly_once(faults, scan_id)
    step = final.steps[StepName.EVIDENCE]
    assert step.deliveries == ROLLING_RESTARTS + 1 and step.error_code is None
    handed_back = [
        e for e in faults.events(scan_id) if e.message == "evidence handed back by a stopping worker"
    ]
    assert len(handed_back) == ROLLING_RESTARTS


DATABASE_OUTAGE_SECONDS = 60


@pytest.mark.postgres
def test_a_database_that_shuts_the_workers_out_for_a_minute_mid_scan_does_not_fail_it(
    both: tuple[Faults, Faults],
) -> None:
    on_postgres, on_sqlite = both
    upstream_port = int(TEST_DATABASE_URL.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = CuttableProxy(upstream_port)
    proxied_url = TEST_DATABASE_URL.replace(f":{upstream_port}/", f":{proxy.port}/")
    try:
        start_together(
            on_postgres.launch("evidence", DATABASE_URL=proxied_url),
            on_postgres.launch("reports", DATABASE_URL=proxied_url),
            on_sqlite.launch("evidence"),
            on_sqlite.launch("reports"),
        )
        with (
            LoopbackSite(home_delay_seconds=2) as postgres_site,
            LoopbackSite(home_delay_seconds=2) as sqlite_site,
        ):
            scans = [
                (on_postgres, on_postgres.submit(postgres_site.url)),
                (on_sqlite, on_sqlite.submit(sqlite_site.url)),
            ]
            for site in (postgres_site, sqlite_site):
                on_postgres.wait_for(
                    "each evidence step to fetch its home page", lambda site=site: "/" in site.requests
                )
            # PostgreSQL refuses every connection; SQLite has no server to refuse them, so its outage is another
            # process holding the file's write lock (a backup, a long migration, an operator's shell): every
            # writer waits out its busy timeout and fails with "database is locked".
            proxy.cut()
            with sqlite_writers_shut_out(on_sqlite.database):
                time.sleep(DATABASE_OUTAGE_SECONDS)
            proxy.restore()
            # A write that met the outage may fail its attempt and retry (infrastructure errors are retried, never
            # final): that is the recovery under test, so only a database_unavailable retry is allowed here.
            finals = [
                _exactly_once(stack, scan_id, retried_for=frozenset({"database_unavailable"}))
                for stack, scan_id in scans
            ]
    finally:
        proxy.close()
    assert proxy.refused > 0, "nothing tried PostgreSQL during the outage"
    assert any("database is locked" in worker.log() for worker in on_sqlite.workers), "nothing tried SQLite"
    assert all(final.steps[StepName.EVIDENCE].error_code is None for final in finals)


# The production defaults: lease 120 s, reaper tick 30 s, and (with Redis) a 5-minute queue timeout.
DEFAULT_TIMINGS = {"TECHSCANIQ_STEP_LEASE_SECONDS": "120", "TECHSCANIQ_REAPER_INTERVAL_SECONDS": "30"}
FORGETFUL_REDIS_WAIT_SECONDS = 600


def _forget_everything(server: RedisServer) -> None:
    """Crash Redis and restart it with nothing on disk, as a Redis without persistence comes back."""
    server.stop(signal.SIGKILL)
    for path in server.directory.iterdir():
        if path.name != "redis.log":
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    server.start()


@pytest.mark.postgres
@pytest.mark.timeout(FORGETFUL_REDIS_WAIT_SECONDS + 180)
def test_a_redis_that_keeps_nothing_restarting_loses_no_scan_with_the_default_settings(
    both: tuple[Faults, Faults],
) -> None:
    # One Redis server, killed once, under a PostgreSQL stack and a SQLite stack (Redis databases 0 and 1): both
    # sets of lost messages are searched for at the same time, so SQLite costs this test no extra wait.
    start_together(
        *(stack.launch(queue, **DEFAULT_TIMINGS) for stack in both for queue in ("evidence", "reports"))
    )
    with LoopbackSite(home_delay_seconds=3) as site:
        scans = [(stack, [stack.submit(site.url) for _ in range(4)]) for stack in both]

        def statuses(stack: Faults, scan_ids: list[str]) -> list[StepStatus]:
            return [stack.step(s, StepName.EVIDENCE).status for s in scan_ids]

        both[0].wait_for(
            "one scan to run while three wait, on each database",
            lambda: all(statuses(*scan).count(StepStatus.ACTIVE) == 1 for scan in scans),
        )
        waiting = [
            (stack, [s for s in scan_ids if stack.step(s, StepName.EVIDENCE).status == StepStatus.WAITING])
            for stack, scan_ids in scans
        ]
        _forget_everything(both[0].redis)
        for stack, waiting_ids in waiting:
            queued = b"".join(redis.Redis.from_url(stack.redis_url).lrange("evidence", 0, -1))
            assert len(waiting_ids) == 3 and not [
                s for s in waiting_ids if s.encode() in queued
            ]  # messages gone
        for stack, scan_ids in scans:
            stack.wait_for(
                f"every {stack.database.kind} scan to finish",
                lambda stack=stack, scan_ids=scan_ids: all(stack.scan(s).status.is_final for s in scan_ids),
                timeout=FORGETFUL_REDIS_WAIT_SECONDS,
            )
        for stack, scan_ids in scans:
            for scan_id in scan_ids:
                _exactly_once(stack, scan_id)
